"""The admin dashboard of the self-assessment: aggregates only, charts as server-rendered SVG."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ..permissions import role_required
from . import charts, snapshots, texts
from .engine import assess, capability_labels

SERIES = ("social_potential", "expression", "connection")


@role_required("admin")
def dashboard():
    """The latest snapshot; with none yet, a live measure (shown, not stored: GET changes nothing)."""
    snapshot = snapshots.latest()
    if snapshot is not None:
        report = snapshot.report
    else:
        with snapshots.reading():
            report = assess()
    return render_template("assessment/dashboard.html", **dashboard_context(report), snapshot=snapshot,
                           form=FlaskForm())


@role_required("admin")
def take_snapshot():
    if not FlaskForm().validate_on_submit():
        abort(400)
    snapshot = snapshots.take()
    flash(_("Measured now: social potential %(score)s.", score=snapshot.social_potential), "success")
    return redirect(url_for("admin.assessment"))


def dashboard_context(report: dict) -> dict:
    report = texts.with_texts(report)
    labels = capability_labels()
    metrics = {**report["expression"]["metrics"], **report["connection"]["metrics"]}
    radar_values = charts.radar_values(metrics)
    history = snapshots.history()
    days = [s.day for s in history]
    series = {"social_potential": [s.social_potential for s in history],
              "expression": [s.expression for s in history], "connection": [s.connection for s in history]}
    capabilities = {axis: [{**c, "label": str(labels.get(c["key"], c["label"]))} for c in report[axis]["capabilities"]]
                    for axis in ("expression", "connection")}
    return {
        "report": report,
        "empty": report["members"] == 0 or (report["counts"]["contributions"] == 0 and report["counts"]["ties"] == 0
                                            and report["counts"]["activities"] == 0),
        "metric_labels": {k: str(v) for k, v in texts.METRICS.items()},
        "part_labels": {k: str(v) for k, v in texts.PARTS.items()},
        "radar": charts.radar(radar_values, {k: str(texts.RADAR[k]) for k in radar_values}),
        "radar_values": radar_values,
        "radar_labels": {k: str(v) for k, v in texts.RADAR.items()},
        "triangle": charts.triangle(report["family_mix"]),
        "families": {k: str(v) for k, v in texts.FAMILIES.items()},
        "line": charts.line(days, series),
        "history": history,
        "series": SERIES,
        "stage_label": str(texts.STAGES[report["stage"]]),
        "stage_text": str(texts.STAGE_TEXTS[report["stage"]]),
        "stages": {k: str(v) for k, v in texts.STAGES.items()},
        "capabilities": capabilities,
        "axes": {k: str(v) for k, v in texts.AXES.items()},
    }
