"""``flask --app app assess``: the self-assessment in the terminal, as JSON, or as today's snapshot."""

from __future__ import annotations

import json
import time
from datetime import datetime

import click
from flask.cli import with_appcontext

from ..timeutil import to_naive_utc, utcnow
from . import texts
from .engine import DEFAULT_WINDOW_DAYS, assess
from .snapshots import reading, store


def parse_as_of(value: str | None) -> datetime:
    """ISO 8601; without a zone it is UTC, a date alone is midnight UTC."""
    if not value:
        return utcnow()
    try:
        return to_naive_utc(datetime.fromisoformat(value.strip()))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time (e.g. 2026-03-01 or "
                                 f"2026-03-01T12:00:00Z)", param_hint="--as-of") from exc


@click.command("assess")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--as-of", "as_of", default=None, help="End of the window, ISO 8601 (default: now; no zone = UTC).")
@click.option("--window-days", default=DEFAULT_WINDOW_DAYS, show_default=True, type=click.IntRange(1, 3650),
              help="Length of the window W = [as_of - N days, as_of).")
@click.option("--snapshot", is_flag=True, help="Also keep the report as the snapshot of as_of's day.")
@with_appcontext
def assess_command(as_json, as_of, window_days, snapshot):
    """Measure the movement's social potential (expression and connection)."""
    moment = parse_as_of(as_of)
    started = time.perf_counter()

    def progress(name: str) -> None:
        if not as_json:
            click.echo(f"  {name}: {time.perf_counter() - started:.1f} s", err=True)

    with reading():
        report = assess(moment, window_days, phase=progress)
    if snapshot:
        store(report, moment)
    report = texts.with_texts(report)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(summary(report))
    if snapshot:
        click.echo(f"snapshot kept for {moment.date().isoformat()}", err=True)


def summary(report: dict) -> str:
    lines = [f"as of {report['as_of']}, window {report['window_days']} days, {report['members']} members",
             f"social potential {report['social_potential']}   stage {report['stage']}"]
    for axis in ("expression", "connection"):
        part = report[axis]
        lines.append(f"{axis}: score {part['score']} (capability {part['capability']}, usage {part['usage']})")
        lines.extend(f"  {name:<26} {value:.3f}" for name, value in part["metrics"].items())
    mix = ", ".join(f"{family} {share:.0%}" for family, share in report["family_mix"].items())
    lines.append(f"family mix: {mix}; centre of gravity: {report['center_of_gravity'] or '-'}")
    lines.extend(f"- {rec['text']}" for rec in report["recommendations"])
    return "\n".join(lines)
