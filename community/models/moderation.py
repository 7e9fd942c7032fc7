"""Reports on content, and the hidden state of content of any kind (core or module)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .member import Member


class Report(db.Model):
    __tablename__ = "report"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'hidden', 'dismissed')", name="status"),
        Index("ix_report_status_id", "status", "id"),
        Index("ix_report_content", "content_type", "content_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    content_type: Mapped[str] = mapped_column(String(64))  # "<module>.<kind>", e.g. "core.profile"
    content_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)

    reporter: Mapped[Member | None] = relationship(foreign_keys=[reporter_id])


class HiddenContent(db.Model):
    """Content a moderator hid. Modules filter on it; restoring deletes the row."""

    __tablename__ = "hidden_content"

    content_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
