"""When each periodic job last ran: the row is also the lock that keeps two processes from running it twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class JobRun(db.Model):
    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # "<module>.<job>" or "core.<job>"
    started_at: Mapped[datetime | None] = mapped_column(DateTime)  # claimed by a process at this time
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
