"""``flask --app app export-community PATH`` and ``import-community PATH`` ("-": stdout / stdin)."""

from __future__ import annotations

import sys
import time

import click

from .api import Problem
from .document import dumps, export_document, import_document, loads


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.command("export-community")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
def export_community(path):
    """Write the whole community as one JSON file (docs/community-format.md). It holds personal
    and political data: keep it encrypted and delete it after use."""
    started = time.perf_counter()
    text = dumps(export_document(progress=_progress))
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"community written to {path} in {time.perf_counter() - started:.1f} s "
                   "(personal data: store it encrypted, delete it after use)", err=True)


@click.command("import-community")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True, exists=False))
def import_community(path):
    """Load a community file into this empty Terreau, all or nothing. Members get no usable password:
    they choose one through "forgot password"."""
    started = time.perf_counter()
    try:
        if path == "-":
            text = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                text = handle.read()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc
    try:
        counts = import_document(loads(text), progress=_progress)
    except Problem as problem:
        lines = [f"  {where}: {message}" for where, message in problem.errors]
        more = problem.total - len(problem.errors)
        if more > 0:
            lines.append(f"  … and {more} more")
        raise click.ClickException("the file was refused, nothing was imported:\n" + "\n".join(lines)) from None
    click.echo(f"imported in {time.perf_counter() - started:.1f} s: "
               + ", ".join(f"{name} {count}" for name, count in counts.items()))
    click.echo("members have no usable password yet: each chooses one with \"forgot password\"")
