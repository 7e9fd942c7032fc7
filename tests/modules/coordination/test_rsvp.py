# ruff: noqa: F811  (make_event is a fixture imported from test_events)
"""Answers to events: seats, the waiting list and its promotion, check-in, refusals, concurrency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import Activity, Notification
from community.timeutil import utcnow
from modules.coordination import events_service as service
from modules.coordination.models import CoordinationEvent, CoordinationRsvp
from tests.concurrency import all_at_once

from .test_events import make_event  # noqa: F401  (fixture)


def _status(event, member):
    row = db.session.get(CoordinationRsvp, (event.id, member.id))
    db.session.refresh(row) if row is not None else None
    return row.status if row else None


def _going(event) -> int:
    return db.session.scalar(select(CoordinationEvent.going_count).where(CoordinationEvent.id == event.id))


def _answer(client, event, status):
    return client.post(f"/coordination/events/{event.id}/answer", data={"status": status})


def test_seats_then_waiting_list_then_promotion(make_member, make_event, visit):
    ana = make_member(role="organiser", handle="ana")
    event = make_event(ana, capacity="2")
    bob, cleo, dan, eve = (make_member(handle=h) for h in ("bob", "cleo", "dan", "eve"))
    clients = {m.handle: visit(m) for m in (bob, cleo, dan, eve)}
    assert _answer(clients["bob"], event, "going").status_code == 302
    assert _answer(clients["cleo"], event, "going").status_code == 302
    response = _answer(clients["dan"], event, "going")
    assert "waiting list" in clients["dan"].get(response.headers["Location"]).get_data(as_text=True)
    _answer(clients["eve"], event, "going")
    assert [_status(event, m) for m in (bob, cleo, dan, eve)] == ["going", "going", "waiting", "waiting"]
    assert _going(event) == 2
    assert service.waiting_position(event.id, dan.id) == 1 and service.waiting_position(event.id, eve.id) == 2
    # Bob gives up his seat: Dan, first on the list, gets it and is told (in-app).
    _answer(clients["bob"], event, "not_going")
    assert [_status(event, m) for m in (bob, cleo, dan, eve)] == ["not_going", "going", "going", "waiting"]
    assert _going(event) == 2
    note = db.session.scalars(select(Notification).where(Notification.member_id == dan.id)).one()
    assert note.kind == "coordination.promoted"
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.member_id == eve.id)) == 0
    # Dan's page says so.
    page = clients["dan"].get(f"/coordination/events/{event.id}").get_data(as_text=True)
    assert "You are going." in page
    assert "A seat freed: you are going to “Réunion du comité”" in clients["dan"].get("/notifications").get_data(
        as_text=True)


def test_maybe_and_not_going_take_no_seat_and_moving_from_going_frees_it(make_member, make_event):
    ana = make_member(role="organiser")
    event = make_event(ana, capacity="1")
    bob, cleo = make_member(), make_member()
    assert service.answer(bob, event, "maybe") == "maybe" and _going(event) == 0
    assert service.answer(cleo, event, "going") == "going" and _going(event) == 1
    assert service.answer(bob, event, "going") == "waiting"
    assert service.answer(cleo, event, "maybe") == "maybe"
    assert _status(event, bob) == "going" and _going(event) == 1
    assert service.answer(bob, event, "going") == "going" and _going(event) == 1  # answering twice: no change


def test_leaving_the_waiting_list_keeps_the_seats(make_member, make_event):
    event = make_event(make_member(role="organiser"), capacity="1")
    bob, cleo, dan = make_member(), make_member(), make_member()
    service.answer(bob, event, "going")
    service.answer(cleo, event, "going")
    service.answer(dan, event, "going")
    service.answer(cleo, event, "not_going")
    service.answer(bob, event, "not_going")
    assert _status(event, dan) == "going" and _going(event) == 1


def test_raising_the_capacity_promotes_the_waiting_list(make_member, make_event, app):
    ana = make_member(role="organiser")
    event = make_event(ana, capacity="1")
    bob, cleo = make_member(), make_member()
    service.answer(bob, event, "going")
    service.answer(cleo, event, "going")
    with app.test_request_context():
        data = service.EventInput(**{**_form_of(event), "capacity": "2"})
        service.update_event(ana, event, data)
    assert _status(event, cleo) == "going" and _going(event) == 2


def test_the_capacity_cannot_go_below_the_members_going(make_member, make_event, visit):
    ana = make_member(role="organiser")
    event = make_event(ana, capacity="3")
    for _ in range(2):
        service.answer(make_member(), event, "going")
    response = visit(ana).post(f"/coordination/events/{event.id}/edit", data={**_form_of(event), "capacity": "1"})
    assert response.status_code == 422
    assert "2 members are already going: the capacity cannot be lower." in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.capacity == 3


def _form_of(event) -> dict:
    from modules.coordination.parts.events import _form_values

    return vars(_form_values(event))


@pytest.mark.parametrize("state", ["cancelled", "past"])
def test_answers_to_a_cancelled_or_past_event_are_refused(make_member, make_event, visit, state):
    ana = make_member(role="organiser")
    event = make_event(ana, capacity="5")
    if state == "cancelled":
        service.cancel_event(ana, event)
    else:
        event.starts_at, event.ends_at = utcnow() - timedelta(days=2), utcnow() - timedelta(days=2, hours=-1)
        db.session.commit()
    bob = make_member()
    response = _answer(visit(bob), event, "going")
    expected = "This event is cancelled" if state == "cancelled" else "This event is over"
    assert response.status_code == 422 and expected in response.get_data(as_text=True)
    assert _status(event, bob) is None and _going(event) == 0


def test_an_unknown_answer_is_refused(make_member, make_event, visit):
    event = make_event(make_member(role="organiser"))
    response = _answer(visit(make_member()), event, "perhaps")
    assert response.status_code == 422 and "Choose going, maybe or not going." in response.get_data(as_text=True)


def test_cancelling_marks_the_page_and_tells_the_attendees(make_member, make_event, visit):
    ana = make_member(role="organiser", handle="ana")
    event = make_event(ana, capacity="5")
    bob, cleo, dan = make_member(), make_member(), make_member()
    service.answer(bob, event, "going")
    service.answer(cleo, event, "maybe")
    service.answer(dan, event, "not_going")
    sequence = event.sequence
    client = visit(ana)
    assert client.post(f"/coordination/events/{event.id}/cancel").status_code == 302
    db.session.refresh(event)
    assert event.cancelled_at is not None and event.sequence == sequence + 1
    told = set(db.session.scalars(select(Notification.member_id).where(
        Notification.kind == "coordination.event_cancelled")))
    assert told == {bob.id, cleo.id}
    page = visit(bob).get(f"/coordination/events/{event.id}").get_data(as_text=True)
    assert "Cancelled" in page and "This event is cancelled" in page
    assert client.post(f"/coordination/events/{event.id}/cancel").status_code == 422  # twice: a message


def test_changing_time_or_place_raises_the_sequence_and_tells_attendees(make_member, make_event, visit, app):
    ana = make_member(role="organiser")
    event = make_event(ana)
    bob, cleo = make_member(), make_member()
    service.answer(bob, event, "going")
    service.answer(cleo, event, "not_going")
    client = visit(ana)
    assert client.post(f"/coordination/events/{event.id}/edit", data={**_form_of(event), "title": "Nouveau titre"}
                       ).status_code == 302
    db.session.refresh(event)
    assert event.title == "Nouveau titre" and event.sequence == 0  # a title is neither time nor place
    assert client.post(f"/coordination/events/{event.id}/edit", data={**_form_of(event), "commune": "Villeurbanne",
                                                                          "postal_code": "69100"}).status_code == 302
    db.session.refresh(event)
    assert event.sequence == 1 and event.commune == "Villeurbanne"
    told = list(db.session.scalars(select(Notification.member_id).where(
        Notification.kind == "coordination.event_changed")))
    assert told == [bob.id]


def test_only_organisers_edit_cancel_and_see_attendees(make_member, make_event, visit):
    ana = make_member(role="organiser")
    bea = make_member(handle="bea")
    event = make_event(ana, co_organisers="bea")
    bob = make_member(handle="bob", display_name="Bob Secret")
    service.answer(bob, event, "going")
    member = visit(make_member())
    assert member.get(f"/coordination/events/{event.id}/attendees").status_code == 403
    assert member.get(f"/coordination/events/{event.id}/edit").status_code == 403
    assert member.post(f"/coordination/events/{event.id}/cancel").status_code == 403
    page = member.get(f"/coordination/events/{event.id}").get_data(as_text=True)
    assert "Bob Secret" not in page and 'data-count="going">1<' in page  # counts, never names
    assert "Bob Secret" in visit(bea).get(f"/coordination/events/{event.id}/attendees").get_data(as_text=True)
    admin = visit(make_member(role="admin"))
    assert "Bob Secret" in admin.get(f"/coordination/events/{event.id}/attendees").get_data(as_text=True)
    assert "Bob Secret" not in member.get(f"/coordination/events/{event.id}/state.json").get_data(as_text=True)


def test_check_in_on_the_day_counts_for_the_attendee(make_member, make_event, visit):
    ana = make_member(role="organiser")
    event = make_event(ana)
    bob, cleo = make_member(), make_member()
    service.answer(bob, event, "going")
    service.answer(cleo, event, "maybe")
    client = visit(ana)
    response = client.post(f"/coordination/events/{event.id}/attendees/{bob.id}/checkin", follow_redirects=True)
    assert "Check-in opens on the day of the event." in response.get_data(as_text=True)
    event.starts_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    response = client.post(f"/coordination/events/{event.id}/attendees/{bob.id}/checkin", follow_redirects=True)
    assert "Checked in." in response.get_data(as_text=True)
    row = db.session.get(CoordinationRsvp, (event.id, bob.id))
    db.session.refresh(row)
    assert row.checked_in_at is not None
    activity = db.session.scalars(select(Activity).where(Activity.verb == "coordination.checkin")).one()
    assert activity.actor_id == bob.id and activity.audience == f"member:{bob.id}"
    response = client.post(f"/coordination/events/{event.id}/attendees/{cleo.id}/checkin", follow_redirects=True)
    assert "not going, or is already checked in" in response.get_data(as_text=True)
    assert visit(bob).post(f"/coordination/events/{event.id}/attendees/{bob.id}/checkin").status_code == 403
    # a check-in made by mistake is taken back, with its activity (points and badges follow)
    assert visit(bob).post(f"/coordination/events/{event.id}/attendees/{bob.id}/uncheck").status_code == 403
    response = client.post(f"/coordination/events/{event.id}/attendees/{bob.id}/uncheck", follow_redirects=True)
    assert "Check-in taken back." in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.checked_in_at is None
    assert not db.session.scalars(select(Activity).where(Activity.verb == "coordination.checkin")).all()
    response = client.post(f"/coordination/events/{event.id}/attendees/{bob.id}/uncheck", follow_redirects=True)
    assert "This member is not checked in." in response.get_data(as_text=True)


def test_concurrent_answers_for_the_last_seats_give_exactly_the_capacity(app, make_member, make_event, visit):
    """Twelve members answer "going" at once for 3 seats: 3 going, 9 waiting (SQLite and PostgreSQL)."""
    event = make_event(make_member(role="organiser"), capacity="4")
    service.answer(make_member(handle="early"), event, "going")
    members = [make_member(handle=f"runner{i}") for i in range(12)]
    clients = [visit(m) for m in members]
    path = f"/coordination/events/{event.id}/answer"
    db.session.commit()
    results = all_at_once(clients, lambda client: client.post(path, data={"status": "going"}).status_code)
    assert results == [302] * len(clients)  # a full event is a waiting list, never a 500 nor a lock error
    statuses = [_status(event, m) for m in members]
    assert statuses.count("going") == 3 and statuses.count("waiting") == 9
    assert _going(event) == 4


def test_concurrent_departures_promote_each_waiting_member_once(app, make_member, make_event, visit):
    """Four going members leave at once; four of six waiting members are promoted, the seats stay exact."""
    event = make_event(make_member(role="organiser"), capacity="4")
    going = [make_member(handle=f"going{i}") for i in range(4)]
    waiting = [make_member(handle=f"wait{i}") for i in range(6)]
    for member in going + waiting:
        service.answer(member, event, "going")
    clients = [visit(m) for m in going]
    path = f"/coordination/events/{event.id}/answer"
    db.session.commit()
    results = all_at_once(clients, lambda client: client.post(path, data={"status": "not_going"}).status_code)
    assert results == [302] * 4
    assert [_status(event, m) for m in waiting] == ["going"] * 4 + ["waiting"] * 2  # the oldest first
    assert _going(event) == 4
    promoted = set(db.session.scalars(select(Notification.member_id).where(
        Notification.kind == "coordination.promoted")))
    assert promoted == {m.id for m in waiting[:4]}


def test_the_database_refuses_more_going_than_seats(make_member, make_event):
    """The CHECK constraint is the last guard, whatever the code does."""
    from sqlalchemy.exc import IntegrityError

    event = make_event(make_member(role="organiser"), capacity="1")
    with pytest.raises(IntegrityError):
        db.session.execute(db.text("UPDATE coordination_event SET going_count = 2 WHERE id = :id"), {"id": event.id})
        db.session.commit()
    db.session.rollback()


def test_erasure_frees_the_seat_and_promotes(make_member, make_event, app):
    from community.privacy import erase_member

    ana = make_member(role="organiser")
    event = make_event(ana, capacity="1")
    bob, cleo = make_member(), make_member()
    service.answer(bob, event, "going")
    service.answer(cleo, event, "going")
    service.new_calendar_token(bob)
    with app.test_request_context():
        erase_member(bob)
    assert _status(event, bob) is None and _status(event, cleo) == "going" and _going(event) == 1
    assert db.session.scalar(select(func.count()).select_from(CoordinationRsvp).where(
        CoordinationRsvp.member_id == bob.id)) == 0


def test_export_has_my_answers_and_the_events_i_organise(make_member, make_event, visit):
    ana = make_member(role="organiser")
    event = make_event(ana, capacity="3")
    bob = make_member(display_name="Bob Secret")
    service.answer(bob, event, "going")
    data = service.export_data(ana)
    assert data["organised"][0]["title"] == "Réunion du comité" and data["answers"] == []
    assert "Bob Secret" not in str(data)
    mine = service.export_data(bob)
    assert mine["answers"][0]["status"] == "going" and mine["answers"][0]["event_uid"] == event.uid
