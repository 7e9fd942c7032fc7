# ruff: noqa: F811  (make_event is a fixture imported from test_events)
"""Event reminders: e-mailed before each event to the going members who accepted them (opt-in),
once per occurrence, in each member's language, through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from community import jobs
from community.extensions import db
from community.mail import drain
from community.models import EmailPreference
from community.timeutil import utcnow
from modules.coordination import events_service as service
from modules.coordination.models import CoordinationRsvp

from .test_events import make_event  # noqa: F401  (fixture)


def _soon(hours: int) -> dict:
    start = service.to_local(utcnow() + timedelta(hours=hours), "Europe/Paris")
    return {"starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": (start + timedelta(hours=2)).strftime(
        "%Y-%m-%dT%H:%M")}


def _accept(member, enabled=True) -> None:
    db.session.add(EmailPreference(member_id=member.id, kind="coordination.reminder", enabled=enabled))
    db.session.commit()


def test_reminders_go_once_to_going_members_who_accept_them(make_member, make_event, smtp_server, app):
    ana = make_member(role="organiser")
    event = make_event(ana, title="Porte-à-porte", **_soon(10))
    later = make_event(ana, title="Plus tard", **_soon(24 * 5))
    bob = make_member(handle="bob", email="bob@example.org", locale="en")
    cleo = make_member(handle="cleo", email="cleo@example.org", locale="fr")
    dan = make_member(handle="dan", email="dan@example.org")  # going, never asked for reminders
    eve = make_member(handle="eve", email="eve@example.org")  # accepts, but only "maybe"
    for member in (bob, cleo, eve):
        _accept(member)
    for member in (bob, cleo, dan):
        service.answer(member, event, "going")
        service.answer(member, later, "going")
    service.answer(eve, event, "maybe")
    results = jobs.run_due(only="coordination.event_reminders")
    assert results["coordination.event_reminders"] == {"sent": 2}
    assert drain()
    messages = smtp_server.wait_for(2)
    by_to = {m["To"]: m for m in messages}
    assert set(by_to) == {"bob@example.org", "cleo@example.org"}
    assert by_to["bob@example.org"]["Subject"].startswith("[Terreau] Reminder: Porte-à-porte")
    assert "Europe/Paris" in by_to["bob@example.org"].get_content()
    assert f"/coordination/events/{event.id}" in by_to["bob@example.org"].get_content()
    assert by_to["cleo@example.org"]["Subject"].startswith("[Terreau] Rappel : Porte-à-porte")
    # the next run sends nothing more (reminded_at), even when forced
    assert service.send_reminders() == {"sent": 0}
    assert db.session.get(CoordinationRsvp, (event.id, dan.id)).reminded_at is None
    assert len(smtp_server.messages) == 2


def test_each_occurrence_of_a_series_is_reminded(make_member, make_event, smtp_server, app):
    ana = make_member(role="organiser")
    event = make_event(ana, title="Permanence", repeat="weekly", repeat_count="3", **_soon(5))
    bob = make_member(email="bob@example.org")
    _accept(bob)
    service.answer(bob, event, "going")
    now = utcnow()
    assert service.send_reminders(now) == {"sent": 1}
    assert service.send_reminders(now + timedelta(hours=1)) == {"sent": 0}
    assert service.send_reminders(now + timedelta(days=7)) == {"sent": 1}  # the second occurrence
    drain()
    assert len(smtp_server.wait_for(2)) == 2


def test_no_reminder_for_a_cancelled_event_or_a_member_who_turned_them_off(make_member, make_event, smtp_server):
    ana = make_member(role="organiser")
    cancelled = make_event(ana, **_soon(3))
    kept = make_event(ana, **_soon(3))
    bob, cleo = make_member(), make_member()
    _accept(bob)
    _accept(cleo, enabled=False)
    service.answer(bob, cancelled, "going")
    service.answer(cleo, kept, "going")
    service.cancel_event(ana, cancelled)
    assert service.send_reminders() == {"sent": 0}


def test_the_lead_time_is_the_admins_setting(make_member, make_event, smtp_server):
    from community.settings import set_module_setting

    ana = make_member(role="organiser")
    event = make_event(ana, **_soon(30))
    bob = make_member()
    _accept(bob)
    service.answer(bob, event, "going")
    assert service.send_reminders() == {"sent": 0}  # 24 h by default
    set_module_setting("coordination", "reminder_hours", 36)
    db.session.commit()
    assert service.send_reminders() == {"sent": 1}
    assert drain() and len(smtp_server.wait_for(1)) == 1
