"""Shifts: created in the movement's time zone, seats taken by a conditional UPDATE (exactly
``needed`` under concurrency, SQLite and PostgreSQL), withdrawal frees the seat, reminders by e-mail."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from community import jobs, mail
from community.activity import email_enabled
from community.extensions import db
from community.models import EmailPreference
from community.timeutil import utcnow
from modules.coordination import campaigns_service as service
from modules.coordination.models import CoordinationShift, CoordinationSignup
from tests.concurrency import all_at_once

from ._campaign_helpers import make_campaign

pytestmark = pytest.mark.usefixtures("english")


def make_shift(organiser, campaign, *, hours=48, needed="2"):
    start = service.to_movement_time(utcnow() + timedelta(hours=hours)).replace(tzinfo=None, second=0, microsecond=0)
    return service.create_shift(organiser, campaign, starts_local=start, ends_local=start + timedelta(hours=2),
                                meeting_point="Place du marché", needed=needed)


def _signups(shift_id):
    return db.session.scalar(select(func.count()).where(CoordinationSignup.shift_id == shift_id))


def test_a_shift_is_entered_in_the_movements_time_zone_and_stored_in_utc(app, organiser):
    campaign = make_campaign(organiser)
    app.config["TERREAU_TIMEZONE"] = "Europe/Paris"
    shift = service.create_shift(organiser, campaign, starts_local=datetime(2031, 7, 1, 10, 0),
                                 ends_local=datetime(2031, 7, 1, 12, 0), meeting_point="Mairie", needed="3")
    assert (shift.starts_at, shift.ends_at) == (datetime(2031, 7, 1, 8, 0), datetime(2031, 7, 1, 10, 0))
    assert "10:00" in service.format_shift_time(shift.starts_at, locale="fr")


@pytest.mark.parametrize("form,message", [
    ({"starts_at": "2031-07-01T10:00", "ends_at": "2031-07-01T09:00", "needed": "3"},
     b"The end must come after the start."),
    ({"starts_at": "2031-07-01T10:00", "ends_at": "2031-07-01T12:00", "needed": "0"},
     b"The number of volunteers is a whole number from 1 to 500."),
    ({"starts_at": "2001-07-01T10:00", "ends_at": "2001-07-01T12:00", "needed": "3"},
     b"The shift must start in the future."),
    ({"starts_at": "demain", "ends_at": "2031-07-01T12:00", "needed": "3"}, b"Give a date and a time."),
])
def test_bad_shifts_are_refused_and_shown_back(visit, organiser, form, message):
    campaign = make_campaign(organiser)
    response = visit(organiser).post(f"/coordination/campaigns/{campaign.id}/shifts",
                                     data={**form, "meeting_point": "Devant la gare"})
    assert response.status_code == 422 and message in response.data
    assert b'value="Devant la gare"' in response.data
    assert db.session.scalar(select(func.count()).select_from(CoordinationShift)) == 0


def test_sign_up_full_shift_and_withdraw(visit, make_member, organiser):
    campaign = make_campaign(organiser)
    client = visit(organiser)
    start = datetime.now() + timedelta(days=3)
    assert client.post(f"/coordination/campaigns/{campaign.id}/shifts", data={
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "meeting_point": "Mairie", "needed": "1"}).status_code == 302
    shift = db.session.scalar(select(CoordinationShift))
    ana, ben = visit(make_member(handle="ana")), visit(make_member(handle="ben"))
    path = f"/coordination/campaigns/{campaign.id}/shifts/{shift.id}"
    assert ana.post(f"{path}/signup").status_code == 302
    page = ana.get(f"/coordination/campaigns/{campaign.id}")
    assert b"You are signed up" in page.data and b"1 of 1 volunteers" in page.data
    assert b"Who is signed up" not in page.data  # the roster is for organisers
    again = ana.post(f"{path}/signup", follow_redirects=True)
    assert b"You are already signed up for this shift." in again.data
    full = ben.post(f"{path}/signup", follow_redirects=True)
    assert full.status_code == 200 and b"This shift is full" in full.data
    assert _signups(shift.id) == 1
    assert b"@ana" in client.get(f"/coordination/campaigns/{campaign.id}").data  # organisers see who
    assert ana.post(f"{path}/withdraw").status_code == 302
    db.session.refresh(shift)
    assert shift.signed_count == 0 and _signups(shift.id) == 0
    assert ben.post(f"{path}/signup").status_code == 302
    db.session.refresh(shift)
    assert shift.signed_count == 1
    assert b"Mairie" in ben.get("/coordination/mine").data
    assert ben.post(f"/coordination/campaigns/{campaign.id}/shifts/999/signup").status_code == 404
    assert ben.post(f"{path}/cancel").status_code == 403
    assert client.post(f"{path}/cancel").status_code == 302
    db.session.refresh(shift)
    assert shift.cancelled_at is not None
    cancelled = visit(make_member()).post(f"{path}/signup", follow_redirects=True)
    assert b"This shift is cancelled." in cancelled.data


def test_many_threads_for_the_last_places_get_exactly_needed(app, visit, make_member, organiser):
    """SQLite and PostgreSQL: the conditional UPDATE gives exactly ``needed`` seats, never a 500."""
    campaign = make_campaign(organiser)
    shift = make_shift(organiser, campaign, needed="3")
    clients = [visit(make_member(handle=f"runner{i}")) for i in range(10)]
    path = f"/coordination/campaigns/{campaign.id}/shifts/{shift.id}/signup"
    shift_id = shift.id
    db.session.commit()
    codes = all_at_once(clients, lambda client: client.post(path).status_code)
    assert codes == [302] * len(clients)
    db.session.expire_all()
    assert db.session.get(CoordinationShift, shift_id).signed_count == 3 == _signups(shift_id)


def test_the_sign_up_form_records_the_reminder_choice(app, client, login, make_member, organiser):
    campaign = make_campaign(organiser, title="Porte-à-porte")
    first = make_shift(organiser, campaign, hours=30)
    second = make_shift(organiser, campaign, hours=60)
    member = make_member(handle="zoe")
    login(client, member)
    page = client.get(f"/coordination/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'name="remind"' in page and 'name="remind" checked' not in page  # opt-in: unticked at first
    client.post(f"/coordination/campaigns/{campaign.id}/shifts/{first.id}/signup", data={"remind": "on"})
    assert email_enabled(member.id, service.REMINDER_VERB)
    page = client.get(f"/coordination/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'name="remind" checked' in page
    client.post(f"/coordination/campaigns/{campaign.id}/shifts/{second.id}/signup", data={})
    assert not email_enabled(member.id, service.REMINDER_VERB)


def test_reminders_are_sent_once_to_who_accepts_them(app, smtp_server, make_member, organiser):
    campaign = make_campaign(organiser, title="Tractage marché")
    soon = make_shift(organiser, campaign, hours=5, needed="5")
    later = make_shift(organiser, campaign, hours=72)
    ana = make_member(handle="ana", locale="fr")
    ben = make_member(handle="ben", locale="en")
    quiet = make_member(handle="quiet")  # never opted in: reminders are opt-in, like every e-mail
    for member in (ana, ben):
        db.session.add(EmailPreference(member_id=member.id, kind=service.REMINDER_VERB, enabled=True))
    db.session.commit()
    for member in (ana, ben, quiet):
        service.sign_up(member, campaign, soon)
    service.sign_up(ana, campaign, later)
    result = jobs.run_due(only="coordination.shift_reminders")
    assert result["coordination.shift_reminders"] == {"claimed": 3, "mailed": 2}
    assert mail.drain()
    messages = smtp_server.wait_for(2)
    by_to = {m["To"]: m for m in messages}
    assert set(by_to) == {"ana@example.org", "ben@example.org"}
    assert "Rappel : Tractage marché" in by_to["ana@example.org"]["Subject"]
    assert "Place du marché" in by_to["ana@example.org"].get_content()
    assert "Reminder: Tractage marché" in by_to["ben@example.org"]["Subject"]
    # once: the next run finds nothing to send (reminded_at is set)
    assert jobs.run_due(only="coordination.shift_reminders", force=True)["coordination.shift_reminders"] == {
        "claimed": 0, "mailed": 0}
    assert len(smtp_server.messages) == 2
    # the lead time is a setting
    from community.settings import set_module_setting

    set_module_setting("coordination", "shift_reminder_hours", 100)
    db.session.commit()
    assert service.send_shift_reminders(utcnow()) == {"claimed": 1, "mailed": 1}
    assert mail.drain()


def test_volunteers_hear_of_a_cancelled_shift_and_a_closed_campaign(app, make_member, organiser):
    from community.models import Notification

    campaign = make_campaign(organiser, title="Tractage gare")
    first = make_shift(organiser, campaign, hours=30)
    second = make_shift(organiser, campaign, hours=60)
    ana, ben, other = make_member(handle="ana"), make_member(handle="ben"), make_member(handle="other")
    service.sign_up(ana, campaign, first)
    service.sign_up(ben, campaign, second)

    def notified(verb):
        return set(db.session.scalars(select(Notification.member_id).where(Notification.kind == verb)))

    service.cancel_shift(organiser, campaign, first)
    assert notified("coordination.shift_cancelled") == {ana.id}
    service.set_closed(organiser, campaign, True)  # ana's shift is already cancelled: only ben hears
    assert notified("coordination.campaign_closed") == {ben.id}
    service.set_closed(organiser, campaign, True)  # closing again tells nobody twice
    assert len(db.session.scalars(select(Notification).where(
        Notification.member_id == ben.id)).all()) == 1
    assert other.id not in notified("coordination.campaign_closed")
