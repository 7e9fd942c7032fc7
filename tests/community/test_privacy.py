"""Export of one's own data, erasure, retention."""

import json
from datetime import timedelta

from sqlalchemy import func, select

from community.extensions import db
from community.members.service import follow
from community.models import AuditEntry, Follow, Member, MemberSession, Notification
from community.privacy import prune
from community.timeutil import utcnow
from tests.conftest import PASSWORD


def test_export_is_a_json_download_of_ones_own_data(client, make_member, login):
    ana, bruno = make_member(handle="ana", commune="Lyon"), make_member(handle="bruno")
    follow(ana, bruno)
    follow(bruno, ana)
    login(client, ana)
    response = client.get("/profile/export.json")
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["format"] == "terreau-member-export/1"
    assert data["profile"]["handle"] == "ana" and data["profile"]["commune"] == "Lyon"
    assert data["following"] == ["bruno"] and data["followers_count"] == 1
    assert [c["purpose"] for c in data["consents"]] == ["processing_notice"]
    assert data["notifications"][0]["kind"] == "core.follow"
    assert data["activities"][0]["verb"] == "core.follow"


def test_erasure_needs_the_password_and_removes_personal_data(app, client, make_member, login):
    ana, bruno = make_member(handle="ana", bio="Bio", commune="Lyon"), make_member(handle="bruno")
    follow(ana, bruno)
    follow(bruno, ana)
    login(client, ana)
    wrong = client.post("/profile/privacy", data={"password": "not my password", "confirm": "y"})
    assert wrong.status_code == 422 and "Wrong password" in wrong.get_data(as_text=True)
    unconfirmed = client.post("/profile/privacy", data={"password": PASSWORD})
    assert unconfirmed.status_code == 422
    assert client.post("/profile/privacy", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    erased = db.session.get(Member, ana.id)
    assert erased.erased_at is not None and erased.email != "ana@example.org" and erased.bio == ""
    assert erased.handle == f"erased_{ana.id}" and erased.commune == ""
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0
    assert db.session.scalar(select(func.count()).where(MemberSession.member_id == ana.id)) == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.erase")) is not None
    assert client.get("/profile/edit").status_code == 302
    assert client.post("/auth/login", data={"identifier": "ana@example.org", "password": PASSWORD}).status_code == 422
    assert client.get(f"/members/erased_{ana.id}").status_code in (302, 404)


def test_prune_applies_retention_periods(app, make_member):
    ana, bruno = make_member(), make_member()
    follow(ana, bruno)
    note = db.session.scalar(select(Notification))
    note.read_at = utcnow() - timedelta(days=200)
    db.session.commit()
    assert prune()["notifications"] == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    result = app.test_cli_runner().invoke(args=["prune"])
    assert result.exit_code == 0 and "notifications: 0 deleted" in result.output


def test_erasure_reaches_the_modules(app, client, make_member, login):
    """Modules anonymise what they hold on the member_erased signal (collaboration: groups)."""
    from community.privacy import erase_member
    from modules.collaboration.models import CollaborationGroup, CollaborationMembership

    member = make_member()
    group = CollaborationGroup(slug="velo", name="Vélo", member_count=1)
    db.session.add(group)
    db.session.flush()
    db.session.add(CollaborationMembership(group_id=group.id, member_id=member.id, role="animator"))
    db.session.commit()
    with app.test_request_context():
        erase_member(db.session.get(Member, member.id))
    assert db.session.scalar(select(func.count()).select_from(CollaborationMembership)) == 0
