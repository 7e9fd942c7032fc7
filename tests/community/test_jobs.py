"""Periodic jobs: claimed once per period across processes, errors kept, disabled modules skipped."""

from datetime import timedelta

import pytest

from community import jobs as jobs_module
from community.extensions import db
from community.models import JobRun
from community.registry import Job, registry
from community.timeutil import utcnow


@pytest.fixture(autouse=True)
def only_these_jobs(monkeypatch):
    """Each test declares its own jobs: the modules' real ones (reminders…) are set aside."""
    for module in registry:
        monkeypatch.setattr(module, "jobs", ())


def test_a_job_runs_once_per_period(app, monkeypatch):
    calls = []
    job = Job("core.test", timedelta(hours=1), lambda now: calls.append(now) or "done")
    monkeypatch.setattr(jobs_module, "core_jobs", lambda: [job])
    now = utcnow()
    with app.app_context():
        assert jobs_module.run_due(now) == {"core.test": "done"}
        assert jobs_module.run_due(now + timedelta(minutes=59)) == {}  # not due yet: a second worker skips it
        assert jobs_module.run_due(now + timedelta(minutes=59), force=True) == {"core.test": "done"}
        assert jobs_module.run_due(now + timedelta(hours=2)) == {"core.test": "done"}
        assert len(calls) == 3
        row = db.session.get(JobRun, "core.test")
        assert row.finished_at is not None and row.last_error == ""


def test_a_failing_job_keeps_its_error_and_the_others_run(app, monkeypatch):
    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs_module, "core_jobs", lambda: [
        Job("core.broken", timedelta(hours=1), broken), Job("core.fine", timedelta(hours=1), lambda now: 1)])
    with app.app_context():
        results = jobs_module.run_due()
        assert results["core.fine"] == 1
        assert "boom" in results["core.broken"]
        assert "RuntimeError" in db.session.get(JobRun, "core.broken").last_error


def test_jobs_of_a_disabled_module_do_not_run(app, monkeypatch):
    calls = []
    module = registry.get("coordination")
    monkeypatch.setattr(module, "jobs", (Job("coordination.test", timedelta(minutes=5), calls.append),))
    monkeypatch.setattr(jobs_module, "core_jobs", lambda: [])
    with app.app_context():
        registry.set_enabled("coordination", False)
        db.session.commit()
        assert jobs_module.run_due() == {}
    with app.app_context():
        registry.set_enabled("coordination", True)
        db.session.commit()
        assert list(jobs_module.run_due()) == ["coordination.test"]
    assert len(calls) == 1


def test_run_jobs_command(app):
    result = app.test_cli_runner().invoke(args=["run-jobs", "--only", "core.prune"])
    assert result.exit_code == 0, result.output
    assert "core.prune" in result.output
    assert "unknown job" in app.test_cli_runner().invoke(args=["run-jobs", "--only", "nope"]).output
