"""Runtime state an admin changes: which modules are on, and each module's own settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class ModuleState(db.Model):
    __tablename__ = "module_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))


class Setting(db.Model):
    """A (module, key) → JSON value; defaults live in each Module.settings, rows only when changed."""

    __tablename__ = "setting"

    module: Mapped[str] = mapped_column(String(32), primary_key=True)  # "core" or a module name
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
