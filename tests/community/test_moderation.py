"""Moderation: reports, the queue, hide and restore with a note, suspension."""

from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, HiddenContent, MemberSession, Notification, Report
from community.moderation.service import is_hidden


def test_report_goes_to_the_queue_and_hiding_notifies_the_author(app, client, make_member, login):
    author = make_member(handle="author", bio="Contenu douteux")
    reporter = make_member(handle="reporter")
    moderator = make_member(role="moderator", handle="modo")
    login(client, reporter)
    form = client.get(f"/moderation/report?type=core.profile&id={author.id}")
    assert form.status_code == 200 and "Contenu douteux" in form.get_data(as_text=True)
    empty = client.post("/moderation/report", data={"content_type": "core.profile", "content_id": str(author.id),
                                                   "reason": ""})
    assert empty.status_code == 422
    client.post("/moderation/report", data={"content_type": "core.profile", "content_id": str(author.id),
                                            "reason": "Propos injurieux"})
    report = db.session.scalar(select(Report))
    assert report.status == "open" and report.reporter_id == reporter.id
    assert client.get("/moderation/").status_code == 403

    mod = app.test_client()
    mod.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(mod, moderator)
    assert "Propos injurieux" in mod.get("/moderation/").get_data(as_text=True)
    mod.post("/moderation/decide", data={"action": "hide", "content_type": "core.profile",
                                         "content_id": str(author.id), "note": "Règle 2"})
    assert is_hidden("core.profile", author.id)
    assert db.session.get(Report, report.id).status == "hidden"
    note = db.session.scalar(select(Notification).where(Notification.member_id == author.id))
    assert note.kind == "core.hidden"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "content.hide")).data == {"note": "Règle 2"}
    mod.post("/moderation/decide", data={"action": "restore", "content_type": "core.profile",
                                         "content_id": str(author.id), "note": "erreur"})
    assert not is_hidden("core.profile", author.id)
    assert db.session.scalar(select(HiddenContent)) is None


def test_reporting_unknown_content_is_a_404(client, make_member, login):
    login(client, make_member())
    assert client.get("/moderation/report?type=core.profile&id=999").status_code == 404
    assert client.get("/moderation/report?type=nope.thing&id=1").status_code == 404


def test_dismiss_closes_the_report(client, make_member, login):
    author, reporter = make_member(), make_member()
    db.session.add(Report(reporter_id=reporter.id, content_type="core.profile", content_id=str(author.id),
                          reason="spam"))
    db.session.commit()
    login(client, make_member(role="moderator"))
    report_id = db.session.scalar(select(Report.id))
    client.post("/moderation/decide", data={"action": "dismiss", "content_type": "core.profile",
                                            "content_id": str(author.id), "report_id": str(report_id)})
    assert db.session.get(Report, report_id).status == "dismissed"


def test_suspension_ends_sessions_and_is_audited(app, client, make_member, login):
    target = make_member(handle="target")
    victim_client = app.test_client()
    login(victim_client, target)
    login(client, make_member(role="moderator"))
    refused = client.post("/moderation/members/target/suspend", data={"reason": ""})
    assert refused.status_code == 422
    client.post("/moderation/members/target/suspend", data={"reason": "Harcèlement"})
    assert db.session.scalar(select(MemberSession).where(MemberSession.member_id == target.id)) is None
    assert victim_client.get("/profile/edit").status_code == 302
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.suspend")).data == {
        "reason": "Harcèlement"}
    client.post("/moderation/members/target/unsuspend")
    assert login(victim_client, target)


def test_moderator_cannot_suspend_an_admin(client, make_member, login):
    make_member(role="admin", handle="boss")
    login(client, make_member(role="moderator"))
    assert client.post("/moderation/members/boss/suspend", data={"reason": "x"}).status_code == 403


def test_hidden_profile_presentation_is_replaced_by_a_note(client, make_member, login):
    from community.moderation.service import set_hidden

    author = make_member(handle="author", bio="Texte retiré")
    moderator = make_member(role="moderator")
    set_hidden("core.profile", author.id, True, moderator, "règle 2")
    login(client, make_member())
    page = client.get("/members/author").get_data(as_text=True)
    assert "Texte retiré" not in page and "moderator hid" in page
