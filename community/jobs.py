"""Periodic jobs: event and shift reminders, daily snapshots, retention.

Each job is a ``Job(name, every, run)``: the core declares its own below, modules declare theirs
in ``Module.jobs``. A job is *due* when it has not started for ``every``; a process claims it with
one conditional UPDATE of its ``job_run`` row, so several workers (or a cron line next to
``python app.py``) never run the same job twice. Jobs of a disabled module do not run.

Two ways to run them: ``flask --app app run-jobs`` (once; put it in cron every few minutes, or
``--loop`` as a service), and the thread that ``python app.py`` starts.
"""

from __future__ import annotations

import logging
import threading
import traceback
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models.job import JobRun
from .registry import Job, registry
from .timeutil import utcnow

log = logging.getLogger(__name__)


def _prune(now: datetime):
    from .privacy import prune

    return prune(now)


def _assessment_snapshot(now: datetime):
    from .assessment.snapshots import daily_job

    return daily_job(now)


def core_jobs() -> list[Job]:
    """The core's own periodic work."""
    return [Job("core.prune", timedelta(days=1), _prune),
            Job("core.assessment_snapshot", timedelta(days=1), _assessment_snapshot)]


def all_jobs(*, enabled_only: bool = True) -> list[Job]:
    """Core jobs, then those of the (enabled) modules."""
    jobs = core_jobs()
    for module in (registry.enabled() if enabled_only else list(registry)):
        jobs.extend(module.jobs)
    return jobs


def claim(job: Job, now: datetime, *, force: bool = False) -> bool:
    """Take the job for this run if it is due; True when this process must run it."""
    if db.session.get(JobRun, job.name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(JobRun(name=job.name))
        except IntegrityError:
            pass  # another process created the row first
    due = JobRun.started_at.is_(None) | (JobRun.started_at <= now - job.every)
    conditions = [JobRun.name == job.name] + ([] if force else [due])
    claimed = db.session.execute(update(JobRun).where(*conditions).values(started_at=now)).rowcount
    db.session.commit()
    return claimed == 1


def run_due(now: datetime | None = None, *, only: str | None = None, force: bool = False) -> dict[str, object]:
    """Run every due job once; returns {name: summary or the error text} for those that ran."""
    now = now or utcnow()
    results: dict[str, object] = {}
    for job in all_jobs():
        if only and job.name != only:
            continue
        if not claim(job, now, force=force):
            continue
        try:
            results[job.name] = job.run(now)
            error = ""
        except Exception:  # a failing job must not stop the others; its error is kept on its row
            db.session.rollback()
            error = traceback.format_exc(limit=5)
            log.exception("job %s failed", job.name)
            results[job.name] = error
        db.session.execute(update(JobRun).where(JobRun.name == job.name).values(
            finished_at=utcnow(), last_error=error))
        db.session.commit()
    return results


def start_thread(app: Flask, interval: float = 60.0) -> threading.Thread:
    """Run due jobs every ``interval`` seconds in a daemon thread (``python app.py`` uses it)."""
    stop = threading.Event()

    def loop():
        while not stop.wait(interval):
            try:
                with app.app_context():
                    run_due()
            except Exception:  # the database may be locked or down for a moment: try again next time
                log.exception("periodic jobs failed")

    thread = threading.Thread(target=loop, name="terreau-jobs", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
