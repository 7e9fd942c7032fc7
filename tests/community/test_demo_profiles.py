"""``seed-demo --profile``: demo movements shaped like the study's three types, each classified by the
self-assessment as its own type (its centre of gravity)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import Activity


@pytest.mark.parametrize("profile", ["influence", "collaboration", "coordination"])
def test_each_profile_is_classified_as_its_own_type(app, profile):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--members", "120", "--profile", profile])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["assess", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["center_of_gravity"] == profile
    assert report["family_mix"][profile] > 0.5
    assert report["members"] > 100


def test_the_profile_changes_the_volumes(app):
    """Without a profile every module makes its usual volume; with one, the others make a twentieth."""
    from community.demo import seed

    seed(members=60, seed=2, profile="coordination")
    per_module = dict(db.session.execute(select(Activity.module, func.count()).group_by(Activity.module)).all())
    assert per_module["coordination"] > per_module["influence"] > 0


def test_unknown_profile_is_refused(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--profile", "diffusion"])
    assert result.exit_code == 2 and "diffusion" in result.output
