"""One assessment report per day, for the dashboard's history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class AssessmentSnapshot(db.Model):
    """The report of one day (``day`` is unique: a second snapshot the same day replaces the first)."""

    __tablename__ = "assessment_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)  # the UTC date of as_of
    as_of: Mapped[datetime] = mapped_column(DateTime)
    window_days: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer)
    social_potential: Mapped[float] = mapped_column(Float)
    expression: Mapped[float] = mapped_column(Float)
    connection: Mapped[float] = mapped_column(Float)
    stage: Mapped[str] = mapped_column(String(12))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)  # the full report, as `assess --json` prints it
    taken_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
