"""The assess command, the daily snapshots and the admin dashboard."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from community.assessment.models import AssessmentSnapshot
from community.extensions import db

from .builder import AS_OF, Community

KEYS = {"social_potential", "expression", "connection", "family_mix", "center_of_gravity", "stage",
        "recommendations", "as_of", "window_days", "members"}


def run(app, *args):
    return app.test_cli_runner().invoke(args=["assess", *args])


def small_movement() -> Community:
    c = Community()
    people = c.members(8, commune="Rennes")
    boss = c.member("organiser")
    first = c.post(boss)
    for p in people[:4]:
        c.post(p, reply_to=first)
        c.follow(p, boss)
    c.group(people[:3])
    c.activity(boss, "influence", count=4)
    c.activity(people[0], "collaboration", count=1)
    c.commit()
    return c


def test_cli_json_has_the_documented_keys(app):
    small_movement()
    result = run(app, "--json", "--as-of", "2026-06-01", "--window-days", "90")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert KEYS <= set(report)
    assert report["as_of"] == "2026-06-01T00:00:00Z"
    assert report["window_days"] == 90
    assert report["members"] == 9
    for axis, names in (("expression", {"contributor_share", "contribution_gini", "member_voice_share", "reply_rate"}),
                        ("connection", {"isolated_share", "mean_degree", "reciprocity", "clustering",
                                        "largest_component_share"})):
        assert {"score", "capability", "metrics"} <= set(report[axis])
        assert set(report[axis]["metrics"]) == names
        assert 0 <= report[axis]["score"] <= 100
    assert report["center_of_gravity"] == "influence"
    assert report["family_mix"]["influence"] == 0.8
    assert report["expression"]["metrics"]["contributor_share"] == 5 / 9
    assert all(rec["text"] for rec in report["recommendations"])


def test_cli_as_of_zones_and_window(app):
    c = Community()
    a = c.member()
    c.post(a, at=datetime(2026, 5, 31, 23, 0))
    c.commit()
    # 2026-06-01T01:00+02:00 is 2026-05-31T23:00 UTC: the post is at as_of, so outside W
    report = json.loads(run(app, "--json", "--as-of", "2026-06-01T01:00:00+02:00").stdout)
    assert report["as_of"] == "2026-05-31T23:00:00Z"
    assert report["expression"]["metrics"]["contributor_share"] == 0.0
    report = json.loads(run(app, "--json", "--as-of", "2026-05-31T23:00:01Z", "--window-days", "1").stdout)
    assert report["expression"]["metrics"]["contributor_share"] == 1.0
    assert report["window_start"] == "2026-05-30T23:00:01Z"


def test_cli_refuses_a_bad_date(app):
    result = run(app, "--as-of", "yesterday")
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_cli_text_summary(app):
    small_movement()
    result = run(app, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert "social potential" in result.stdout
    assert "contributor_share" in result.stdout


def test_snapshot_one_per_day_replaced_the_same_day(app):
    small_movement()
    assert run(app, "--snapshot", "--as-of", "2026-06-01T08:00:00").exit_code == 0
    assert run(app, "--snapshot", "--as-of", "2026-06-01T20:00:00").exit_code == 0
    assert run(app, "--snapshot", "--as-of", "2026-06-02T08:00:00").exit_code == 0
    rows = list(db.session.scalars(select(AssessmentSnapshot).order_by(AssessmentSnapshot.day)))
    assert [r.day.isoformat() for r in rows] == ["2026-06-01", "2026-06-02"]
    assert rows[0].as_of == datetime(2026, 6, 1, 20, 0)
    assert rows[0].report["members"] == 9
    assert rows[0].social_potential == rows[0].report["social_potential"]


def test_daily_job_takes_the_snapshot(app):
    from community import jobs

    small_movement()
    now = AS_OF + timedelta(hours=3)
    results = jobs.run_due(now, only="core.assessment_snapshot")
    assert "snapshot of 2026-06-01" in results["core.assessment_snapshot"]
    assert jobs.run_due(now + timedelta(hours=1), only="core.assessment_snapshot") == {}  # once a day
    assert db.session.scalar(select(func.count()).select_from(AssessmentSnapshot)) == 1


def test_dashboard_is_for_admins_only(app, client, make_member, visit):
    member = make_member()
    moderator = make_member("moderator")
    assert client.get("/admin/assessment").status_code in (302, 401)
    assert visit(member).get("/admin/assessment").status_code == 403
    assert visit(moderator).get("/admin/assessment").status_code == 403
    assert visit(member).post("/admin/assessment/snapshot").status_code == 403
    assert visit(member).get("/admin/assessment/snapshot").status_code == 405


def test_dashboard_with_nothing_to_measure(app, make_member, visit):
    admin = make_member("admin")
    page = visit(admin).get("/admin/assessment")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="assessment-empty"' in html
    assert "Nothing to measure yet" in html
    assert db.session.scalar(select(func.count()).select_from(AssessmentSnapshot)) == 0  # GET stores nothing


def test_dashboard_draws_the_charts_with_text_alternatives(app, make_member, visit):
    small_movement()
    for day in range(3):
        run(app, "--snapshot", "--as-of", (AS_OF + timedelta(days=day)).isoformat())
    admin = make_member("admin")
    client = visit(admin)
    html = client.get("/admin/assessment").get_data(as_text=True)
    assert "Nothing to measure yet" not in html
    assert html.count("<svg") == 3
    for chart in ("radar", "triangle", "history"):
        assert f'aria-labelledby="{chart}-svg-title {chart}-svg-desc"' in html
        assert f'<title id="{chart}-svg-title">' in html
    assert 'id="metrics-table"' in html and 'id="family-table"' in html and 'id="history-table"' in html
    assert 'class="triangle__point"' in html
    assert html.count('class="history__dot history__dot--expression"') == 3
    assert 'style="' not in html and "<style" not in html  # CSP: no inline styles
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # CSP: no inline scripts
    assert "/static/css/assessment.css" in html
    assert 'data-metric="contributor_share"' in html


def test_dashboard_measure_now_keeps_a_snapshot(app, make_member, visit):
    admin = make_member("admin")
    client = visit(admin)
    response = client.post("/admin/assessment/snapshot")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AssessmentSnapshot)) == 1
    html = client.get("/admin/assessment").get_data(as_text=True)
    assert "Snapshot of" in html


def test_dashboard_in_french(app, make_member, visit):
    admin = make_member("admin")
    client = visit(admin)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    html = client.get("/admin/assessment").get_data(as_text=True)
    assert "Potentiel social" in html
    assert "Rien à mesurer" in html


def test_admin_menu_links_to_the_dashboard(app, make_member, visit):
    html = visit(make_member("admin")).get("/admin/modules").get_data(as_text=True)
    assert 'href="/admin/assessment"' in html
    html = visit(make_member()).get("/").get_data(as_text=True)
    assert 'href="/admin/assessment"' not in html
