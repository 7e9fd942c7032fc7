"""Administration as plain functions: roles, module switches, deleting a module's data."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete

from .. import signals
from ..activity import publish
from ..extensions import db
from ..models import ROLES, Activity, EmailPreference, HiddenContent, Member, Report, record
from ..realtime import disconnect_member
from ..registry import registry


def change_role(member: Member, role: str, actor: Member) -> bool:
    """Set a member's role (audit-logged, notified); their sockets reconnect with the new rights."""
    if role not in ROLES or role == member.role:
        return False
    old = member.role
    member.role = role
    record(actor, "member.role", f"member:{member.id}", old=old, new=role)
    publish(actor, "core.role", ("core.member", member.id), audience=f"member:{member.id}", notify=[member.id],
            data={"old": old, "new": role}, commit=False)
    disconnect_member(member.id)
    db.session.commit()
    signals.role_changed.send(current_app._get_current_object(), member_id=member.id, old=old, new=role)
    return True


def toggle_module(name: str, enabled: bool, actor: Member | None) -> None:
    registry.set_enabled(name, enabled, actor)
    signals.module_toggled.send(current_app._get_current_object(), name=name, enabled=enabled)


def delete_module_data(name: str, actor: Member | None) -> int:
    """The separate, confirmed action: delete every row of the module's tables and its activities."""
    module = registry.get(name)
    if module is None:
        raise KeyError(name)
    if module.delete_data is not None:
        count = module.delete_data()
    else:
        count = 0
        own = set(module.tables())
        for table in reversed(db.metadata.sorted_tables):
            if table.name in own:
                count += db.session.execute(table.delete()).rowcount or 0
    count += db.session.execute(delete(Activity).where(Activity.module == name)).rowcount or 0
    prefix = f"{name}.%"
    for model, column in ((Report, Report.content_type), (HiddenContent, HiddenContent.content_type),
                          (EmailPreference, EmailPreference.kind)):
        count += db.session.execute(delete(model).where(column.like(prefix))).rowcount or 0
    record(actor, "module.delete_data", f"module:{name}", rows=count)
    db.session.commit()
    return count
