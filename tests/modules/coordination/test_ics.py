# ruff: noqa: F811  (make_event is a fixture imported from test_events)
"""iCalendar: one event's .ics and the feeds (public, a group's, "my calendar" behind a token),
parsed back with the icalendar package, field by field."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from community.extensions import db
from community.timeutil import utcnow
from modules.coordination import events_service as service

from .test_events import make_event  # noqa: F401  (fixture)

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def group_of(app):
    """group_of(creator, *members) -> the room ("collaboration:group:<id>") of a new open group."""
    from modules.collaboration import groups_service

    def make(creator, *members, name="Vélo à Lyon"):
        with app.test_request_context():
            group = groups_service.create_group(creator, name=name, description="On roule.")
            db.session.commit()
            for member in members:
                groups_service.join(group, member)
                db.session.commit()
        return f"collaboration:group:{group.id}"

    return make


def _parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.get_data())


def _events(calendar) -> list:
    return [c for c in calendar.walk("VEVENT")]


def test_one_events_ics_has_every_field_calendar_clients_need(make_member, make_event, visit, client):
    ana = make_member(role="organiser")
    event = make_event(ana, title="Réunion publique, logement; loyers", audience="public",
                       description="Ordre du jour :\n- loyers\n- **HLM**", capacity="2")
    bob = make_member(display_name="Bob Secret")
    service.answer(bob, event, "going")
    response = client.get(f"/coordination/events/{event.id}.ics")  # a visitor: the event is public
    assert response.headers["Content-Disposition"] == f'attachment; filename="event-{event.id}.ics"'
    calendar = _parse(response)
    assert str(calendar["VERSION"]) == "2.0" and "Terreau" in str(calendar["PRODID"])
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Terreau"
    timezones = list(calendar.walk("VTIMEZONE"))
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Paris"]
    (vevent,) = _events(calendar)
    assert str(vevent["UID"]) == event.uid and "@" in event.uid
    assert str(vevent["SUMMARY"]) == "Réunion publique, logement; loyers"
    assert vevent["SEQUENCE"] == 0 and str(vevent["STATUS"]) == "CONFIRMED"
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert start.tzinfo is not None and start.astimezone(PARIS).strftime("%H:%M") == "18:30"
    assert start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == event.starts_at
    assert end - start == timedelta(hours=2)
    assert vevent.decoded("DTSTAMP").replace(tzinfo=None) == event.updated_at.replace(microsecond=0)
    assert vevent.decoded("LAST-MODIFIED").replace(tzinfo=None) == event.updated_at.replace(microsecond=0)
    assert str(vevent["URL"]) == f"http://localhost/coordination/events/{event.id}"
    assert str(vevent["LOCATION"]) == "Salle des fêtes, 1 rue de la Paix, 69003 Lyon"
    assert str(vevent["DESCRIPTION"]).startswith("Ordre du jour :\n- loyers\n- **HLM**")
    assert "RRULE" not in vevent
    body = response.get_data(as_text=True)
    assert "Bob Secret" not in body and "ATTENDEE" not in body and "\r\n" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_a_series_carries_its_rrule_and_keeps_its_local_time_across_dst(make_member, make_event, client):
    """Weekly at 18:30 in Paris from mid-March: still 18:30 after the change to summer time."""
    year = utcnow().year + 1
    event = make_event(make_member(role="organiser"), audience="public", starts_at=f"{year}-03-17T18:30",
                       ends_at=f"{year}-03-17T20:00", repeat="weekly", repeat_count="4")
    assert event.rrule == "FREQ=WEEKLY;COUNT=4"
    occurrences = service.expand(event)
    assert len(occurrences) == 4
    local = [o.starts_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS) for o in occurrences]
    assert [d.strftime("%H:%M") for d in local] == ["18:30"] * 4
    assert {o.starts_at.hour for o in occurrences} == {17, 16}  # UTC+1 then UTC+2
    assert event.repeat_until == occurrences[-1].ends_at
    (vevent,) = _events(_parse(client.get(f"/coordination/events/{event.id}.ics")))
    rule = vevent["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["COUNT"] == [4]
    # the client's own expansion of the feed gives the same dates
    from dateutil.rrule import rrulestr

    dates = list(rrulestr(vevent["RRULE"].to_ical().decode(), dtstart=vevent.decoded("DTSTART")))
    assert [d.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) for d in dates] == [o.starts_at for o in occurrences]


def test_until_is_written_in_utc_and_every_two_weeks_has_its_interval(make_member, make_event, client):
    year = utcnow().year + 1
    event = make_event(make_member(role="organiser"), audience="public", starts_at=f"{year}-01-05T10:00",
                       ends_at=f"{year}-01-05T12:00", repeat="biweekly", repeat_until=f"{year}-02-16")
    assert event.rrule == f"FREQ=WEEKLY;INTERVAL=2;UNTIL={year}0216T225959Z"
    assert len(service.expand(event)) == 4  # 5 Jan, 19 Jan, 2 Feb, 16 Feb
    (vevent,) = _events(_parse(client.get(f"/coordination/events/{event.id}.ics")))
    assert vevent["RRULE"]["INTERVAL"] == [2]


def test_a_cancelled_event_stays_in_calendars_as_cancelled_with_a_new_sequence(make_member, make_event, client):
    ana = make_member(role="organiser")
    event = make_event(ana, audience="public")
    uid = event.uid
    service.cancel_event(ana, event)
    (vevent,) = _events(_parse(client.get("/coordination/calendars/public.ics")))
    assert str(vevent["STATUS"]) == "CANCELLED" and vevent["SEQUENCE"] == 1 and str(vevent["UID"]) == uid


def test_the_public_feed_holds_public_events_only(make_member, make_event, client, group_of):
    ana = make_member(role="organiser")
    public = make_event(ana, title="Public", audience="public")
    make_event(ana, title="Membres", audience="members")
    make_event(ana, title="Du groupe", audience=group_of(ana))
    response = client.get("/coordination/calendars/public.ics")
    calendar = _parse(response)
    assert "Content-Disposition" not in response.headers
    assert [str(e["SUMMARY"]) for e in _events(calendar)] == ["Public"]
    assert str(_events(calendar)[0]["UID"]) == public.uid
    assert "public events" in str(calendar["X-WR-CALNAME"])
    # conditional GET: the same feed again is a 304
    again = client.get("/coordination/calendars/public.ics", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def _token(client) -> str:
    page = client.post("/coordination/calendars/", data={"action": "create"}).get_data(as_text=True)
    start = page.index("/coordination/calendars/", page.index('id="my-calendar-url"')) + len("/coordination/calendars/")
    return page[start:page.index("/mine.ics", start)]


def test_my_calendar_behind_a_revocable_token(make_member, make_event, visit, client):
    from modules.coordination.models import CoordinationCalendarToken

    ana = make_member(role="organiser")
    bob = make_member()
    going, maybe, declined = (make_event(ana, title=t) for t in ("Going", "Maybe", "Declined"))
    make_event(ana, title="Unanswered")
    service.answer(bob, going, "going")
    service.answer(bob, maybe, "maybe")
    service.answer(bob, declined, "not_going")
    browser = visit(bob)
    token = _token(browser)
    stored = db.session.get(CoordinationCalendarToken, bob.id)
    assert stored.token_hash == service.hash_token(token) and token not in stored.token_hash
    feed = _parse(client.get(f"/coordination/calendars/{token}/mine.ics"))  # no session: the token is enough
    assert sorted(str(e["SUMMARY"]) for e in _events(feed)) == ["Going", "Maybe"]
    assert "my events" in str(feed["X-WR-CALNAME"])
    assert client.get("/coordination/calendars/not-a-token/mine.ics").status_code == 404
    new_token = _token(browser)  # regenerating: the old link stops working
    assert client.get(f"/coordination/calendars/{token}/mine.ics").status_code == 404
    assert client.get(f"/coordination/calendars/{new_token}/mine.ics").status_code == 200
    browser.post("/coordination/calendars/", data={"action": "revoke"})
    assert client.get(f"/coordination/calendars/{new_token}/mine.ics").status_code == 404
    assert db.session.get(CoordinationCalendarToken, bob.id) is None


def test_a_groups_calendar_is_for_its_members_only(make_member, make_event, visit, client, group_of):
    ana = make_member(role="organiser", handle="ana")
    bob, outsider = make_member(handle="bob"), make_member(handle="out")
    room = group_of(ana, bob)
    make_event(ana, title="Sortie vélo", audience=room)
    make_event(ana, title="Pour tous", audience="members")
    bob_token, out_token = _token(visit(bob)), _token(visit(outsider))
    page = visit(bob).get("/coordination/calendars/").get_data(as_text=True)
    assert "Calendar of Group: Vélo à Lyon" not in page  # links are shown once, right after making them
    feed = _parse(client.get(f"/coordination/calendars/{bob_token}/group/{room}.ics"))
    assert [str(e["SUMMARY"]) for e in _events(feed)] == ["Sortie vélo"]
    assert client.get(f"/coordination/calendars/{out_token}/group/{room}.ics").status_code == 404
    assert client.get(f"/coordination/calendars/{bob_token}/group/members.ics").status_code == 404


def test_another_groups_event_is_a_404_through_html_json_and_ics(make_member, make_event, visit, client, group_of):
    ana = make_member(role="organiser", handle="ana")
    bob = make_member(handle="bob")
    room = group_of(ana, bob)
    event = make_event(ana, title="Secret de groupe", audience=room)
    members_event = make_event(ana, title="Entre membres", audience="members")
    outsider = visit(make_member(handle="out"))
    for path in (f"/coordination/events/{event.id}", f"/coordination/events/{event.id}/state.json",
                 f"/coordination/events/{event.id}.ics"):
        assert outsider.get(path).status_code == 404
        assert visit(bob).get(path).status_code == 200
        assert client.get(path).status_code == 404  # a visitor
    assert outsider.post(f"/coordination/events/{event.id}/answer", data={"status": "going"}).status_code == 404
    assert client.get(f"/coordination/events/{members_event.id}.ics").status_code == 404
    assert outsider.get(f"/coordination/events/{members_event.id}.ics").status_code == 200
    assert "Secret de groupe" not in outsider.get("/coordination/events/").get_data(as_text=True)
    assert "Secret de groupe" in visit(bob).get("/coordination/events/").get_data(as_text=True)


def test_a_changed_event_gets_a_higher_sequence_in_the_feed(make_member, make_event, client, app):
    ana = make_member(role="organiser")
    event = make_event(ana, audience="public")
    from modules.coordination.parts.events import _form_values

    later = service.to_local(event.starts_at, "Europe/Paris") + timedelta(hours=1)
    with app.test_request_context():
        service.update_event(ana, event, service.EventInput(**{
            **vars(_form_values(event)), "starts_at": later.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (later + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}))
    (vevent,) = _events(_parse(client.get("/coordination/calendars/public.ics")))
    assert vevent["SEQUENCE"] == 1
    assert vevent.decoded("DTSTART").astimezone(PARIS).strftime("%H:%M") == "19:30"


def test_an_event_planned_in_another_zone_keeps_it(make_member, make_event, client):
    event = make_event(make_member(role="organiser"), audience="public", timezone="Indian/Reunion",
                       postal_code="97400", commune="Saint-Denis")
    assert event.department == "974"
    calendar = _parse(client.get(f"/coordination/events/{event.id}.ics"))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Indian/Reunion"]
    (vevent,) = _events(calendar)
    start = vevent.decoded("DTSTART")
    assert start.astimezone(ZoneInfo("Indian/Reunion")).strftime("%H:%M") == "18:30"
    assert start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == event.starts_at
    assert isinstance(start, datetime)


def test_long_lines_are_folded_and_read_back_whole(make_member, make_event, client):
    text = "Émeline présentera « l'écologie populaire » ; venez nombreux, c'est gratuit. " * 12
    event = make_event(make_member(role="organiser"), audience="public", description=text.strip(),
                       place_name="Maison des associations Émile-Zola, salle n°2 (rez-de-chaussée)")
    body = client.get(f"/coordination/events/{event.id}.ics").get_data()
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    (vevent,) = _events(icalendar.Calendar.from_ical(body))
    assert str(vevent["DESCRIPTION"]).startswith(text.strip())
    assert str(vevent["LOCATION"]).startswith("Maison des associations Émile-Zola, salle n°2")
