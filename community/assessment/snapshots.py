"""Daily snapshots: the report of each day is kept, so the dashboard can draw the history.

One row per UTC day, enforced by a unique constraint; taking a second snapshot the same day replaces
the first (an atomic UPDATE first, an INSERT when there was no row, an UPDATE again if another
process inserted in between).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from flask import g
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..database import mark_writing
from ..extensions import db
from ..timeutil import utcnow
from .engine import DEFAULT_WINDOW_DAYS, assess
from .models import AssessmentSnapshot

HISTORY_DAYS = 365


def _values(report: dict, as_of: datetime) -> dict:
    return {"as_of": as_of, "window_days": report["window_days"], "members": report["members"],
            "social_potential": report["social_potential"], "expression": report["expression"]["score"],
            "connection": report["connection"]["score"], "stage": report["stage"], "report": report,
            "taken_at": utcnow()}


def store(report: dict, as_of: datetime) -> AssessmentSnapshot:
    """Keep ``report`` as the snapshot of as_of's day (replacing that day's earlier one)."""
    day = as_of.date()
    values = _values(report, as_of)
    changed = db.session.execute(update(AssessmentSnapshot).where(AssessmentSnapshot.day == day)
                                 .values(**values)).rowcount
    if not changed:
        try:
            with db.session.begin_nested():
                db.session.add(AssessmentSnapshot(day=day, **values))
        except IntegrityError:  # another process took the same day's snapshot first: ours replaces it
            db.session.execute(update(AssessmentSnapshot).where(AssessmentSnapshot.day == day).values(**values))
    db.session.commit()
    return db.session.scalar(select(AssessmentSnapshot).where(AssessmentSnapshot.day == day))


@contextmanager
def reading():
    """Run the (long) assessment in a read transaction: on SQLite a writer's transaction would hold the
    write lock for the whole computation and make every other writer wait."""
    previous = g.get("db_write")
    db.session.commit()
    mark_writing(False)
    try:
        yield
    finally:
        db.session.commit()
        if previous is None:
            g.pop("db_write", None)
        else:
            mark_writing(previous)


def take(as_of: datetime | None = None, window_days: int = DEFAULT_WINDOW_DAYS) -> AssessmentSnapshot:
    as_of = as_of or utcnow()
    with reading():
        report = assess(as_of, window_days)
    return store(report, as_of)


def daily_job(now: datetime) -> str:
    """The periodic job (community/jobs.py): today's snapshot."""
    snapshot = take(now)
    return f"snapshot of {snapshot.day.isoformat()}: social potential {snapshot.social_potential}"


def history(limit: int = HISTORY_DAYS) -> list[AssessmentSnapshot]:
    """The latest ``limit`` snapshots, oldest first (for the line chart)."""
    rows = db.session.scalars(select(AssessmentSnapshot).order_by(AssessmentSnapshot.day.desc()).limit(limit))
    return list(reversed(list(rows)))


def latest() -> AssessmentSnapshot | None:
    return db.session.scalar(select(AssessmentSnapshot).order_by(AssessmentSnapshot.day.desc()).limit(1))
