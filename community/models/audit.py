"""The append-only audit log of administrative and moderation actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .member import Member


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)  # e.g. "member.role", "module.disable"
    target: Mapped[str] = mapped_column(String(120), default="")  # e.g. "member:12", "module:influence"
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[Member | None] = relationship(lazy="joined")


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, _context, _instances):
    """The log is append-only: an update or delete of an entry is a programming error."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("audit entries are append-only")


def record(actor: Member | None, action: str, target: str = "", **data: Any) -> AuditEntry:
    """Add an audit entry to the current transaction (committed with the change it records)."""
    entry = AuditEntry(actor_id=actor.id if actor else None, action=action, target=target, data=data)
    db.session.add(entry)
    return entry
