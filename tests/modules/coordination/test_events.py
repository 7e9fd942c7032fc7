"""Events: planning, editing, cancelling, finding (list and month), visibility, bad input."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import Activity
from community.settings import set_module_setting
from community.timeutil import utcnow
from modules.coordination import events_service as service
from modules.coordination.models import CoordinationCoOrganiser, CoordinationEvent


def _local(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def form_data(**overrides) -> dict:
    start = (utcnow() + timedelta(days=10)).replace(hour=18, minute=30, second=0, microsecond=0)
    data = {"title": "Réunion du comité", "kind": "meeting", "description": "Ordre du jour **important**",
            "starts_at": _local(start), "ends_at": _local(start + timedelta(hours=2)), "timezone": "Europe/Paris",
            "place_name": "Salle des fêtes", "address": "1 rue de la Paix", "postal_code": "69003",
            "commune": "Lyon", "online_url": "", "capacity": "", "audience": "members", "co_organisers": "",
            "kit_id": "", "repeat": "", "repeat_count": "", "repeat_until": ""}
    data.update(overrides)
    return data


@pytest.fixture
def make_event(app):
    """make_event(organiser, **form overrides) -> a committed CoordinationEvent (through the service)."""

    def make(organiser, **overrides):
        with app.test_request_context():
            return service.create_event(organiser, service.EventInput(**form_data(**overrides)))

    return make


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- creating ---------------------------------------------------------------------------------


def test_an_organiser_plans_an_event_through_the_form(make_member, visit):
    ana = make_member(role="organiser", handle="ana")
    make_member(handle="bea")
    client = visit(ana)
    page = client.get("/coordination/events/new")
    assert page.status_code == 200 and 'value="Europe/Paris"' in page.get_data(as_text=True)
    response = client.post("/coordination/events/new", data=form_data(co_organisers="@bea", capacity="12"))
    assert response.status_code == 302
    event = db.session.scalars(select(CoordinationEvent)).one()
    assert event.title == "Réunion du comité" and event.capacity == 12 and event.department == "69"
    assert event.organiser_id == ana.id and event.sequence == 0 and event.uid.endswith("@localhost")
    assert _count(CoordinationCoOrganiser, CoordinationCoOrganiser.event_id == event.id) == 1
    # 18:30 in Paris is 16:30 or 17:30 UTC, depending on the season
    assert event.starts_at.minute == 30 and event.starts_at.hour in (16, 17)
    activity = db.session.scalars(select(Activity).where(Activity.verb == "coordination.event_created")).one()
    assert activity.actor_id == ana.id and activity.audience == "members"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Réunion du comité" in page and "<strong>important</strong>" in page and "Europe/Paris" in page


def test_a_member_may_not_plan_unless_an_admin_allows_it(make_member, visit):
    bob = make_member(handle="bob")
    client = visit(bob)
    assert client.get("/coordination/events/new").status_code == 403
    assert client.post("/coordination/events/new", data=form_data()).status_code == 403
    set_module_setting("coordination", "members_create_events", True)
    db.session.commit()
    assert client.post("/coordination/events/new", data=form_data()).status_code == 302
    assert _count(CoordinationEvent) == 1


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"title": ""}, "title", "Give the event a title."),
    ({"title": "x" * 201}, "title", "A title has at most 200 characters."),
    ({"ends_at": "2020-01-01T10:00"}, "ends_at", "The end must come after the start."),
    ({"starts_at": "demain soir"}, "starts_at", "Give a date and time such as 2026-05-14 18:30."),
    ({"timezone": "Europe/Lutece"}, "timezone", "is not a time zone name"),
    ({"capacity": "-3"}, "capacity", "The capacity is at least 1 seat"),
    ({"capacity": "0"}, "capacity", "The capacity is at least 1 seat"),
    ({"capacity": "beaucoup"}, "capacity", "The capacity is a whole number of seats"),
    ({"online_url": "javascript:alert(1)"}, "online_url", "An online link starts with https://"),
    ({"online_url": "ftp://example.org/x"}, "online_url", "An online link starts with https://"),
    ({"postal_code": "6900"}, "postal_code", "A postal code has five digits."),
    ({"commune": "", "postal_code": ""}, "commune", "Give the place (at least its commune) or an online link."),
    ({"audience": "collaboration:group:999"}, "audience", "Choose who can see the event."),
    ({"kit_id": "999"}, "kit_id", "Choose a kit from the list."),
    ({"co_organisers": "nobody_here"}, "co_organisers", "No member has the handle nobody_here."),
    ({"repeat": "weekly"}, "repeat_count", "Say how many times the event repeats, or until when."),
    ({"repeat": "weekly", "repeat_count": "500"}, "repeat_count", "Between 2 and 200 occurrences."),
    ({"repeat": "weekly", "repeat_until": "2020-01-01"}, "repeat_until", "The last date comes after the first"),
    ({"repeat": "weekly", "repeat_until": "bientôt"}, "repeat_until", "Give a date such as 2026-06-30."),
])
def test_bad_input_is_refused_with_a_message_and_the_form_kept(make_member, visit, overrides, field, message):
    ana = make_member(role="organiser", handle="ana")
    data = form_data(**overrides)
    response = visit(ana).post("/coordination/events/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page.replace("&#34;", '"').replace("&#39;", "'")
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    assert 'value="Salle des fêtes"' in page  # what was typed is shown again
    assert _count(CoordinationEvent) == 0


def test_an_event_that_is_already_over_is_refused(make_member, visit):
    ana = make_member(role="organiser")
    past = utcnow() - timedelta(days=3)
    response = visit(ana).post("/coordination/events/new", data=form_data(
        starts_at=_local(past), ends_at=_local(past + timedelta(hours=1))))
    assert response.status_code == 422 and "already be over" in response.get_data(as_text=True)


def test_department_from_the_postal_code():
    assert service.department_of("69003") == "69"
    assert service.department_of("01000") == "01"
    assert service.department_of("20000") == "2A" and service.department_of("20190") == "2A"
    assert service.department_of("20200") == "2B" and service.department_of("20620") == "2B"
    assert service.department_of("97411") == "974" and service.department_of("98800") == "988"
    assert service.department_of("6900") == "" and service.department_of("abcde") == ""
    assert service.normalise_department("2a") == "2A" and service.normalise_department("974") == "974"
    assert service.normalise_department("13005") == "13" and service.normalise_department("lyon") == ""


def test_an_event_shows_its_kit(make_member, make_event, visit):
    from modules.coordination.models import CoordinationKit

    ana = make_member(role="organiser")
    kit = CoordinationKit(title="Kit porte-à-porte", summary="Tout pour frapper aux portes")
    db.session.add(kit)
    db.session.commit()
    event = make_event(ana, kit_id=str(kit.id))
    assert event.kit_id == kit.id
    page = visit(ana).get(f"/coordination/events/{event.id}").get_data(as_text=True)
    assert "Kit porte-à-porte" in page and f"/coordination/kits/{kit.id}" in page
