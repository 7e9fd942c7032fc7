"""The admin area: roles with audit, module switches (web and CLI), deleting a module's data."""

import pytest
from sqlalchemy import func, select

from community.activity import publish
from community.extensions import db
from community.models import Activity, AuditEntry, Member, Notification
from community.registry import registry


def test_only_admins_reach_the_admin_area(client, make_member, login):
    login(client, make_member(role="moderator"))
    for path in ["/admin/modules", "/admin/members", "/admin/audit"]:
        assert client.get(path).status_code == 403
    assert client.post("/admin/modules/influence/toggle", data={"enabled": "0"}).status_code == 403
    assert registry.is_enabled("influence")


def test_role_change_is_audited_and_notified(client, make_member, login):
    admin = make_member(role="admin", handle="root")
    ana = make_member(handle="ana")
    login(client, admin)
    assert client.post("/admin/members/ana/role", data={"role": "organiser"}).status_code == 302
    assert db.session.get(Member, ana.id).role == "organiser"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.role"))
    assert entry.actor_id == admin.id and entry.target == f"member:{ana.id}"
    assert entry.data == {"old": "member", "new": "organiser"}
    assert db.session.scalar(select(Notification).where(Notification.member_id == ana.id)).kind == "core.role"
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "member.role" in page


def test_unknown_role_and_self_demotion_are_refused(client, make_member, login):
    admin = make_member(role="admin", handle="root")
    make_member(handle="ana")
    login(client, admin)
    assert "Unknown role" in client.post("/admin/members/ana/role", data={"role": "king"},
                                         follow_redirects=True).get_data(as_text=True)
    client.post("/admin/members/root/role", data={"role": "member"})
    assert db.session.get(Member, admin.id).role == "admin"


def test_admin_switches_a_module_with_an_audit_entry(client, make_member, login):
    admin = make_member(role="admin")
    login(client, admin)
    client.post("/admin/modules/collaboration/toggle", data={"enabled": "0"})
    assert not registry.is_enabled("collaboration")
    page = client.get("/admin/modules").get_data(as_text=True)
    assert 'id="module-collaboration" data-enabled="0"' in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "module.disable"))
    assert entry.target == "module:collaboration" and entry.actor_id == admin.id
    client.post("/admin/modules/collaboration/toggle", data={"enabled": "1"})
    assert registry.is_enabled("collaboration")


def test_requires_cascades_and_the_admin_sees_why(client, make_member, login):
    login(client, make_member(role="admin"))
    module = registry.get("coordination")
    original = module.requires
    module.requires = ("collaboration",)
    try:
        client.post("/admin/modules/collaboration/toggle", data={"enabled": "0"})
        assert not registry.is_enabled("coordination")
        page = client.get("/admin/modules").get_data(as_text=True)
        assert "needs: collaboration" in page and "required by: coordination" in page
        assert client.get("/coordination/").status_code == 404
    finally:
        module.requires = original


def test_deleting_module_data_needs_it_off_and_confirmation(client, make_member, login):
    admin = make_member(role="admin")
    publish(admin, "coordination.contract_probe", ("contract", 1))
    login(client, admin)
    assert client.post("/admin/modules/coordination/delete-data", data={"confirm": "coordination"}).status_code == 422
    client.post("/admin/modules/coordination/toggle", data={"enabled": "0"})
    wrong = client.post("/admin/modules/coordination/delete-data", data={"confirm": "oops"})
    assert wrong.status_code == 422 and 'value="oops"' in wrong.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(Activity.module == "coordination")) == 1
    assert client.post("/admin/modules/coordination/delete-data", data={"confirm": "coordination"}).status_code == 302
    assert db.session.scalar(select(func.count()).where(Activity.module == "coordination")) == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "module.delete_data")) is not None


def test_audit_entries_cannot_be_changed_or_deleted(make_member):
    from community.models import record

    entry = record(None, "test.action", "x")
    db.session.commit()
    entry.action = "tampered"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def test_cli_lists_disables_and_enables_modules(app):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["modules", "list"])
    assert "influence" in listing.output and " on" in listing.output
    result = runner.invoke(args=["modules", "disable", "influence"])
    assert result.exit_code == 0 and "disabled" in result.output
    db.session.commit()
    assert not registry.is_enabled("influence")
    assert "influence       influence      off" in runner.invoke(args=["modules", "list"]).output
    runner.invoke(args=["modules", "enable", "influence"])
    assert registry.is_enabled("influence")
    assert runner.invoke(args=["modules", "enable", "nope"]).exit_code != 0
    assert db.session.scalar(select(func.count()).where(AuditEntry.action.like("module.%"))) == 2


def test_cli_create_admin_reads_the_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "Chef@Example.org"], input="une-phrase-de-passe-longue\n")
    assert result.exit_code == 0, result.output
    member = db.session.scalar(select(Member).where(Member.email == "chef@example.org"))
    assert member.role == "admin" and member.handle == "chef"
    weak = runner.invoke(args=["create-admin", "other@example.org"], input="password\n")
    assert weak.exit_code != 0 and "10" in weak.output  # the policy, in the default language
    again = runner.invoke(args=["create-admin", "chef@example.org"], input="une-phrase-de-passe-longue\n")
    assert again.exit_code != 0 and "already" in again.output
