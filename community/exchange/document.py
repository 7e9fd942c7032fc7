"""Export the whole community as one document, and import one into an empty Terreau.

Import runs in three steps so that a malformed file changes nothing: the JSON Schema
(community-format.schema.json, draft 2020-12), then the meaning (unknown handles, duplicates,
dangling replies, times, groups…) checked by the core and by each module's importer while they
only *queue* rows, and only then one transaction inserting everything in bulk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, func, select

from ..database import mark_writing, refresh_statistics
from ..extensions import db
from ..models import Activity, Member
from ..registry import registry
from . import core
from .api import FORMAT, ExportContext, ImportContext, Problem, bulk_insert

SCHEMA_PATH = Path(__file__).with_name("community-format.schema.json")
MAX_ERRORS = 20  # errors listed; the total is counted


@cache
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator():
    """jsonschema-rs (draft 2020-12, in Rust): the pure-Python ``jsonschema`` took 85 s on a file of
    100,000 posts, this takes about a second (docs/performance.md)."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema())


def _exchanges() -> list:
    """Modules that carry data, in their exchange order. Disabled modules too: their data is kept
    while they are off, so it belongs in the file (docs/community-format.md)."""
    modules = [m for m in registry if getattr(m, "exchange", None) is not None]
    return sorted(modules, key=lambda m: (m.exchange.order, m.name))


def export_document(progress: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    """The whole community: core sections first, then each module's, in exchange order."""
    ctx = ExportContext()
    doc: dict[str, Any] = {"format": FORMAT}
    doc.update(core.export(ctx))
    progress(f"members: {len(doc['members'])}, follows: {len(doc['follows'])}")
    for module in _exchanges():
        sections = module.exchange.export(ctx)
        doc.update(sections)
        progress(f"{module.name}: " + ", ".join(f"{name} {len(items)}" for name, items in sections.items()))
    return doc


def dumps(doc: dict) -> str:
    """The file's text: UTF-8 JSON, indented, keys in the order written (so exports compare as text)."""
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def loads(text: str | bytes) -> dict:
    try:
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        position = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise Problem([("$", f"not a JSON document{position}: {exc}")]) from exc
    if not isinstance(doc, dict):
        raise Problem([("$", "the document must be a JSON object")])
    return doc


def schema_errors(doc: Any) -> tuple[list[tuple[str, str]], int]:
    """The first schema errors, in document order, by JSON path; and how many there are."""
    if isinstance(doc, dict) and doc.get("format") != FORMAT:
        return [("$.format", f"expected {FORMAT!r}, found {doc.get('format')!r}")], 1
    validator = _validator()
    if validator.is_valid(doc):
        return [], 0
    time_pattern = _schema()["$defs"]["time"]["pattern"]
    errors = []
    for error in validator.iter_errors(doc):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
        message = error.message
        if time_pattern in message:
            message = (f"unparsable time {json.dumps(error.instance, ensure_ascii=False)}: "
                       "write ISO 8601 with a zone, e.g. 2026-03-01T18:30:00Z")
        errors.append((path, message))
    errors.sort(key=lambda e: _path_key(e[0]))
    return errors[:MAX_ERRORS], len(errors)


def _path_key(path: str) -> list:
    """Sort $.posts[2] before $.posts[10]."""
    parts: list = []
    for token in path.replace("[", ".[").split("."):
        parts.append((0, int(token[1:-1]), "") if token.startswith("[") else (1, 0, token))
    return parts


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Member))


def import_document(doc: dict, progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Load ``doc`` into this empty Terreau in one transaction; raises Problem (nothing stored) when the
    instance has members or the file is malformed. Returns how many rows each table received."""
    if not is_empty():
        raise Problem([("$", "this Terreau already has members: a community file is imported only into an "
                             "empty one (a new database)")])
    started = time.perf_counter()
    errors, total = schema_errors(doc)
    if errors:
        raise Problem(errors, total)
    progress(f"schema checked in {time.perf_counter() - started:.1f} s")
    ctx = ImportContext(max_errors=MAX_ERRORS)
    core.import_(doc, ctx)
    for module in _exchanges():
        module.exchange.import_(doc, ctx)
        if module.exchange.after_import:
            ctx.after_import.append(module.exchange.after_import)
    if ctx.errors:
        raise Problem(ctx.errors, ctx.error_count)
    progress(f"content checked in {time.perf_counter() - started:.1f} s")
    counts = _store(ctx, progress)
    progress(f"stored in {time.perf_counter() - started:.1f} s")
    for hook in ctx.after_import:
        hook()
    db.session.commit()
    refresh_statistics()
    return counts


def _store(ctx: ImportContext, progress: Callable[[str], None]) -> dict[str, int]:
    """Everything in one transaction: the queued rows, then the activities in time order (ids follow
    time, as in real use); on PostgreSQL the id sequences move past the explicit ids."""
    mark_writing(True)
    counts: dict[str, int] = {}
    try:
        db.session.rollback()  # a fresh write transaction (BEGIN IMMEDIATE on SQLite)
        for table, rows in ctx.inserts:
            bulk_insert(table, rows)
            counts[table.name] = counts.get(table.name, 0) + len(rows)
            progress(f"  {table.name}: {counts[table.name]}")
        ctx.activities.sort(key=lambda a: a["created_at"])
        bulk_insert(Activity.__table__, ctx.activities)
        counts["activity"] = len(ctx.activities)
        progress(f"  activity: {len(ctx.activities)}")
        if db.session.get_bind().dialect.name == "postgresql":
            for name in {table.name for table, _rows in ctx.inserts} | {"activity"}:
                table = db.metadata.tables[name]
                if "id" in table.c and table.c.id.primary_key and isinstance(table.c.id.type, Integer):
                    db.session.execute(db.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts
