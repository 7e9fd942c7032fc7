# ruff: noqa: F811  (make_event is a fixture imported from test_events)
"""Finding events: the list (filters, pages), the month calendar, series on each occurrence, what
visitors see, the landing page, "my events", the settings page, moderation and the live room."""

from __future__ import annotations

from datetime import timedelta

from community.database import QueryCounter
from community.extensions import db
from community.registry import registry
from community.settings import module_setting
from community.timeutil import utcnow
from modules.coordination import events_service as service

from .test_events import make_event  # noqa: F401  (fixture)


def _local(days: int, hour: str = "18:30") -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%d") + f"T{hour}"


def _at(days: int, hours: int = 2) -> dict:
    start = utcnow() + timedelta(days=days)
    return {"starts_at": start.strftime("%Y-%m-%dT18:30"),
            "ends_at": (start + timedelta(hours=0)).strftime("%Y-%m-%dT") + f"{18 + hours}:30"}


def test_the_list_filters_by_department_kind_and_near_me(make_member, make_event, visit):
    ana = make_member(role="organiser")
    make_event(ana, title="Lyon", postal_code="69003", commune="Lyon", **_at(3))
    make_event(ana, title="Villeurbanne", postal_code="69100", commune="Villeurbanne", kind="leafleting", **_at(4))
    make_event(ana, title="Marseille", postal_code="13001", commune="Marseille", **_at(5))
    make_event(ana, title="Ajaccio", postal_code="20000", commune="Ajaccio", **_at(6))
    bob = make_member(postal_code="69007")
    client = visit(bob)

    def titles(query=""):
        page = client.get(f"/coordination/events/{query}").get_data(as_text=True)
        return [t for t in ("Lyon", "Villeurbanne", "Marseille", "Ajaccio") if f">{t}</a>" in page]

    assert titles() == ["Lyon", "Villeurbanne", "Marseille", "Ajaccio"]
    assert titles("?place=69100") == ["Lyon", "Villeurbanne"]
    assert titles("?place=69") == ["Lyon", "Villeurbanne"]
    assert titles("?place=2a") == ["Ajaccio"]
    assert titles("?place=me") == ["Lyon", "Villeurbanne"]
    assert titles("?place=69&kind=leafleting") == ["Villeurbanne"]
    page = client.get("/coordination/events/?place=Lyon").get_data(as_text=True)
    assert "is neither a postal code nor a department number" in page.replace("&#34;", '"')


def test_the_list_pages_with_a_cursor_and_a_constant_number_of_queries(make_member, make_event, visit, app):
    ana = make_member(role="organiser")
    for day in range(1, service.LIST_PAGE + 6):
        make_event(ana, title=f"Réunion {day:02d}", **_at(day))
    client = visit(ana)
    with QueryCounter(db.engine) as counter:
        first = client.get("/coordination/events/").get_data(as_text=True)
    assert "Réunion 01" in first and f"Réunion {service.LIST_PAGE:02d}" in first
    assert f"Réunion {service.LIST_PAGE + 1:02d}" not in first
    assert counter.count < 20
    next_url = first[first.index('href="', first.index("Later events") - 200) + 6:]
    next_url = next_url[:next_url.index('"')].replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert f"Réunion {service.LIST_PAGE + 1:02d}" in second and "Réunion 01<" not in second
    assert client.get("/coordination/events/?after=garbage").status_code == 200


def test_a_series_shows_on_each_occurrence_in_the_calendar(make_member, make_event, visit):
    ana = make_member(role="organiser")
    event = make_event(ana, title="Permanence hebdo", repeat="weekly", repeat_count="10", **_at(1))
    client = visit(ana)
    month = (utcnow() + timedelta(days=1)).strftime("%Y-%m")
    page = client.get(f"/coordination/events/calendar?month={month}").get_data(as_text=True)
    expected = len([o for o in service.expand(event) if o.starts_at.strftime("%Y-%m") == month])
    grid_extra = page.count("Permanence hebdo")
    assert grid_extra >= expected >= 1  # the grid also shows the neighbouring months' days
    assert "Next month" in page and "Previous month" in page and "<table" in page
    later = (utcnow() + timedelta(days=40)).strftime("%Y-%m")
    assert "Permanence hebdo" in client.get(f"/coordination/events/calendar?month={later}").get_data(as_text=True)
    list_page = client.get("/coordination/events/").get_data(as_text=True)
    assert list_page.count("Permanence hebdo") == 10  # every upcoming occurrence is listed
    bad = client.get("/coordination/events/calendar?month=2026-13")
    assert bad.status_code == 200 and "is not a month such as 2026-05" in bad.get_data(as_text=True).replace(
        "&#34;", '"')


def test_visitors_see_public_events_only(make_member, make_event, client):
    ana = make_member(role="organiser")
    public = make_event(ana, title="Ouvert à tous", audience="public", **_at(2))
    members = make_event(ana, title="Entre nous", audience="members", **_at(3))
    page = client.get("/coordination/events/").get_data(as_text=True)
    assert "Ouvert à tous" in page and "Entre nous" not in page
    assert "Ouvert à tous" in client.get("/coordination/events/calendar?month=" + (
        utcnow() + timedelta(days=2)).strftime("%Y-%m")).get_data(as_text=True)
    response = client.get(f"/coordination/events/{public.id}")
    assert response.status_code == 200 and "Log in to answer" in response.get_data(as_text=True)
    assert client.get(f"/coordination/events/{members.id}").status_code == 404
    assert client.post(f"/coordination/events/{public.id}/answer", data={"status": "going"}).status_code == 302
    assert service.counts(public)["going"] == 0
    for path in ("/coordination/events/new", "/coordination/events/mine", "/coordination/calendars/",
                 f"/coordination/events/{public.id}/attendees"):
        assert client.get(path).status_code == 302  # to the login page


def test_landing_page_lists_next_events_and_every_parts_pages(make_member, make_event, visit):
    ana = make_member(role="organiser")
    make_event(ana, title="Prochaine réunion", **_at(2))
    page = visit(ana).get("/coordination/").get_data(as_text=True)
    assert "Prochaine réunion" in page and "/coordination/events/calendar" in page
    assert "/coordination/events/new" in page


def test_my_events_lists_answers_and_organised_events(make_member, make_event, visit):
    ana = make_member(role="organiser")
    event = make_event(ana, title="Je participe", **_at(2))
    bob = make_member()
    service.answer(bob, event, "maybe")
    assert "Je participe" in visit(bob).get("/coordination/events/mine").get_data(as_text=True)
    page = visit(ana).get("/coordination/events/mine").get_data(as_text=True)
    assert "Je participe" in page and f"/coordination/events/{event.id}/attendees" in page


def test_admin_settings_allow_members_and_set_the_reminder_lead(make_member, visit):
    admin = visit(make_member(role="admin"))
    assert visit(make_member()).get("/coordination/events/settings").status_code == 403
    assert admin.get("/coordination/events/settings").status_code == 200
    response = admin.post("/coordination/events/settings", data={"members_create_events": "1", "reminder_hours": "0"})
    assert response.status_code == 422 and "Between 1 and 168 hours." in response.get_data(as_text=True)
    assert module_setting("coordination", "members_create_events") is False
    assert admin.post("/coordination/events/settings",
                      data={"members_create_events": "1", "reminder_hours": "48"}).status_code == 302
    db.session.expire_all()
    from flask import g

    g.pop("terreau_settings", None)
    assert module_setting("coordination", "members_create_events") is True
    assert module_setting("coordination", "reminder_hours") == 48


def test_an_event_can_be_reported_and_its_room_is_for_those_who_see_it(make_member, make_event, app):
    ana = make_member(role="organiser")
    event = make_event(ana, title="Signalable", **_at(2))
    kind = registry.content_kind("coordination.event")
    with app.test_request_context():
        ref = kind.load(str(event.id))
    assert ref.title == "Signalable" and ref.author_id == ana.id
    room = registry.get("coordination").rooms["event"]
    assert room(make_member(), str(event.id)) and not room(make_member(), "999")


def test_a_disabled_module_hides_events_and_feeds(make_member, make_event, client):
    ana = make_member(role="organiser")
    event = make_event(ana, audience="public", **_at(2))
    registry.set_enabled("coordination", False)
    assert client.get(f"/coordination/events/{event.id}").status_code == 404
    assert client.get("/coordination/calendars/public.ics").status_code == 404
    registry.set_enabled("coordination", True)
    assert client.get(f"/coordination/events/{event.id}").status_code == 200


def test_editing_through_the_form_keeps_what_was_typed_on_error(make_member, make_event, visit):
    ana = make_member(role="organiser")
    event = make_event(ana, title="Avant", **_at(2))
    client = visit(ana)
    page = client.get(f"/coordination/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="Avant"' in page and 'value="Europe/Paris"' in page
    response = client.post(f"/coordination/events/{event.id}/edit", data={
        "title": "Après", "kind": "meeting", "starts_at": _local(3), "ends_at": _local(2), "timezone": "Europe/Paris",
        "commune": "Lyon", "postal_code": "69003", "audience": "members"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="Après"' in page and "The end must come after the start." in page
    db.session.refresh(event)
    assert event.title == "Avant"


def test_a_hidden_event_leaves_lists_calendars_and_feeds(make_member, make_event, visit, client, app):
    from community.moderation.service import set_hidden

    ana = make_member(role="organiser")
    moderator = make_member(role="moderator")
    hidden = make_event(ana, title="Caché", audience="public", **_at(2))
    make_event(ana, title="Visible", audience="public", **_at(2))
    with app.test_request_context():
        set_hidden("coordination.event", str(hidden.id), True, moderator, "test")
    db.session.commit()
    member = visit(make_member())
    month = (utcnow() + timedelta(days=2)).strftime("%Y-%m")
    for page in (member.get("/coordination/events/"), member.get(f"/coordination/events/calendar?month={month}"),
                 client.get("/coordination/calendars/public.ics")):
        text = page.get_data(as_text=True)
        assert "Visible" in text and "Caché" not in text
    assert member.get(f"/coordination/events/{hidden.id}").status_code == 404


def test_the_cached_month_follows_every_change(app, make_member, make_event, visit):
    """The calendar keeps a month's grid per process; a new, renamed, cancelled or hidden event shows
    at once (the key holds a version of the events table and the hidden events)."""
    from community.models import HiddenContent

    from .test_events import form_data

    ana = make_member(role="organiser")
    client = visit(ana)
    month = (utcnow() + timedelta(days=3)).strftime("%Y-%m")
    path = f"/coordination/events/calendar?month={month}"

    def calendar():
        return client.get(path).get_data(as_text=True)

    assert "Réunion du quartier" not in calendar()
    event = make_event(ana, title="Réunion du quartier", **_at(3))
    assert "Réunion du quartier" in calendar()
    assert "Réunion du quartier" in calendar()  # from the cache
    with app.test_request_context():
        service.update_event(ana, event, service.EventInput(**form_data(title="Réunion de la rue", **_at(3))))
    page = calendar()
    assert "Réunion de la rue" in page and "Réunion du quartier" not in page
    service.cancel_event(ana, event)
    assert "calendar__event--cancelled" in calendar()
    db.session.add(HiddenContent(content_type="coordination.event", content_id=str(event.id), hidden_by_id=ana.id))
    db.session.commit()
    assert "Réunion de la rue" not in calendar()
