"""The activity stream: one row per thing that happened, published by the core or a module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .member import Member


class Activity(db.Model):
    __tablename__ = "activity"
    __table_args__ = (
        # The audience rides along so that the home feed, which walks the activities of the
        # people followed and keeps the public and members ones, never reads the table for that
        # (migration 0007).
        Index("ix_activity_actor_id_id_audience", "actor_id", "id", "audience"),
        Index("ix_activity_module_id", "module", "id"),
        Index("ix_activity_audience_id", "audience", "id"),
        Index("ix_activity_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    verb: Mapped[str] = mapped_column(String(64))  # "<module>.<kind>", e.g. "core.follow"
    module: Mapped[str] = mapped_column(String(32))  # the part before the dot
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    # Who may see it: "public", "members", "member:<id>" or a module room such as "collaboration:group:7".
    audience: Mapped[str] = mapped_column(String(80), default="members")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[Member | None] = relationship(lazy="joined")

    @property
    def kind(self) -> str:
        return self.verb.split(".", 1)[1] if "." in self.verb else self.verb
