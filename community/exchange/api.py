"""What a module implements to carry its data in the community file, and the context it gets.

A module declares ``Module(exchange=Exchange(...))``. On export the engine calls each module's
``export(ctx)`` in ``order`` and merges the sections it returns into the document; on import it
calls each ``import_(doc, ctx)`` in the same order. An importer checks its sections, reports
every problem with ``ctx.error(path, message)``, and *queues* rows with ``ctx.insert`` and
activities with ``ctx.activity``: nothing reaches the database until every module has checked
the whole file, so a malformed file is refused as a whole and nothing is half-imported.

Modules never import each other: what one module's sections refer to in another's (an event's
``group`` is a collaboration group's slug) travels through the context. The module that owns
groups registers them (``ctx.add_group``) and runs first (a smaller ``order``); the others
translate with ``ctx.group_audience(slug)`` on import and ``ctx.group_slug(audience)`` on export.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db

FORMAT = "terreau-community/1"
OPEN_AUDIENCES = ("public", "members")  # stored audiences that are a visibility rather than a group


@dataclass(frozen=True)
class Exchange:
    """A module's part of the community file (docs/community-format.md)."""

    sections: tuple[str, ...]  # the document's top-level keys this module writes and reads
    export: Callable[[ExportContext], dict[str, Any]]  # export(ctx) → {section: list}
    import_: Callable[[dict, ImportContext], None]  # import_(doc, ctx): check, then queue rows and activities
    order: int = 50  # smaller first; a module that registers groups for the others runs before them
    after_import: Callable[[], None] | None = None  # after the commit: rebuild derived caches (points…)


class Problem(Exception):
    """A file refused as a whole: ``errors`` are (JSON path, message) pairs, the first ones found."""

    def __init__(self, errors: list[tuple[str, str]], total: int | None = None):
        self.errors = errors
        self.total = total if total is not None else len(errors)
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors[:5]))


def iso(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with a Z; microseconds only when there are some."""
    if value is None:
        return None
    return value.replace(tzinfo=None).isoformat() + "Z"


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def str_id(value: Any) -> str | None:
    """An optional reference as the file writes ids (strings); None stays None."""
    return str(value) if value is not None else None


def table_rows(model: Any, *order: Any) -> list:
    """Every row of a model's table, as plain rows (no ORM objects: exports read whole tables)."""
    return db.session.execute(select(model.__table__).order_by(*order)).all()


def by_key(rows: Iterable, key: str) -> dict[Any, list]:
    """Rows grouped by one of their columns, keeping their order: children looked up by parent id."""
    grouped: dict[Any, list] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


class ExportContext:
    """Handles of members by id, and the group slugs of audiences, for the exporters."""

    def __init__(self) -> None:
        self.handles: dict[int, str] = {}
        self._slugs: dict[str, str] = {}  # audience → group slug

    def handle(self, member_id: int | None) -> str | None:
        return self.handles.get(member_id) if member_id is not None else None

    def add_group(self, slug: str, audience: str) -> None:
        self._slugs[audience] = slug

    def group_slug(self, audience: str | None) -> str | None:
        """The group slug of an audience such as "collaboration:group:7"; None for "members"/"public"."""
        return self._slugs.get(audience) if audience else None

    def group_and_visibility(self, audience: str | None) -> tuple[str | None, str]:
        """(group slug, visibility) of a stored audience: (None, "public"/"members") for an open one,
        else the group's slug and "members"."""
        if audience in OPEN_AUDIENCES:
            return None, audience
        return self.group_slug(audience), "members"

    iso = staticmethod(iso)
    iso_date = staticmethod(iso_date)


class ImportContext:
    """Checks and queued rows of one import. Paths are JSONPath-like: ``$.posts[12].reply_to``."""

    def __init__(self, max_errors: int = 20) -> None:
        self.max_errors = max_errors
        self.errors: list[tuple[str, str]] = []
        self.error_count = 0
        self.member_ids: dict[str, int] = {}  # handle → id
        self._audiences: dict[str, str] = {}  # group slug → audience
        self.inserts: list[tuple[Any, list[dict]]] = []
        self.activities: list[dict] = []
        self.after_import: list[Callable[[], None]] = []

    # --- problems -----------------------------------------------------------------------

    def error(self, path: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append((path, message))

    def member(self, handle: Any, path: str, *, required: bool = True) -> int | None:
        """The id of a member named by handle in the file; an unknown handle is an error."""
        if handle is None:
            if required:
                self.error(path, "a member's handle is required")
            return None
        member_id = self.member_ids.get(handle)
        if member_id is None:
            self.error(path, f"unknown handle {handle!r}")
        return member_id

    def time(self, value: Any, path: str, *, required: bool = True) -> datetime | None:
        """An ISO 8601 time with a zone, as naive UTC; anything else is an error."""
        if value is None:
            if required:
                self.error(path, "a time is required")
            return None
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.error(path, f"unparsable time {value!r}: write ISO 8601 with a zone, e.g. 2026-03-01T18:30:00Z")
            return None
        return parsed.astimezone(UTC).replace(tzinfo=None)

    def day(self, value: Any, path: str) -> date | None:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            self.error(path, f"unparsable date {value!r}: write YYYY-MM-DD")
            return None

    def ids(self, entries: list[tuple[str, dict]], key: str = "id") -> list[int]:
        """Integer ids for the items of ``entries`` ((path, item) pairs): the file's own when they are all
        integers written as strings (a re-export then gives the same ids), else 1, 2, 3… in the file's
        order. A duplicate id is an error."""
        seen: dict[Any, str] = {}
        for path, item in entries:
            value = item.get(key)
            if value is None:  # an item without an id (optional for some lists) gets one
                continue
            if value in seen:
                self.error(f"{path}.{key}", f"duplicate id {value!r} (also at {seen[value]})")
            else:
                seen[value] = path
        raw = [item.get(key) for _path, item in entries]
        if all(isinstance(v, str) and v.isdigit() and 0 < int(v) < 2**31 for v in raw):
            return [int(v) for v in raw]
        return list(range(1, len(entries) + 1))

    def references(self, entries: list[tuple[str, dict]], ids: list[int], key: str = "reply_to",
                   scope: list | None = None) -> list[int | None]:
        """The ids that ``key`` names (the file's ids of the same list); a dangling one is an error.
        With ``scope`` (one value per entry, e.g. the debate), an item may only answer one in its scope."""
        by_file = {item.get("id"): index for index, (_path, item) in enumerate(entries)}
        result: list[int | None] = []
        for index, (path, item) in enumerate(entries):
            ref = item.get(key)
            target = by_file.get(ref) if ref is not None else None
            if ref is not None and (target is None or (scope is not None and scope[target] != scope[index])):
                self.error(f"{path}.{key}", f"dangling {key}: no item with id {ref!r}"
                           + (" here" if target is not None else ""))
                target = None
            if target == index:
                self.error(f"{path}.{key}", "an item cannot answer itself")
                target = None
            result.append(ids[target] if target is not None else None)
        return result

    def parents_first(self, entries: list[tuple[str, dict]], ids: list[int], parents: list[int | None],
                      key: str = "reply_to") -> list[int]:
        """Positions of the entries in an order where every item comes after the one it answers (the
        database checks references row by row); a cycle is an error."""
        position = {item_id: index for index, item_id in enumerate(ids)}
        order: list[int] = []
        state = [0] * len(ids)  # 0 new, 1 on the path being followed, 2 placed
        for start in range(len(ids)):
            stack = [start]
            while stack:
                index = stack[-1]
                if state[index] == 2:
                    stack.pop()
                    continue
                parent = parents[index]
                parent_index = position.get(parent) if parent is not None else None
                if parent_index is not None and state[parent_index] != 2:
                    if state[parent_index] == 1:
                        self.error(f"{entries[index][0]}.{key}", "replies form a cycle")
                        parents[index] = None
                        continue
                    state[index] = 1
                    stack.append(parent_index)
                    continue
                state[index] = 2
                order.append(index)
                stack.pop()
        return order

    @staticmethod
    def roots(ids: list[int], parents: list[int | None], order: list[int]) -> list[int]:
        """The thread root of each item (its own id for a top-level one), given ``parents_first``'s order."""
        root: dict[int, int] = {}
        for index in order:
            parent = parents[index]
            root[ids[index]] = root.get(parent, parent) if parent is not None else ids[index]
        return [root[item_id] for item_id in ids]

    # --- groups (registered by the module that owns them) -------------------------------

    def add_group(self, slug: str, audience: str) -> None:
        self._audiences[slug] = audience

    def group_audience(self, slug: Any, path: str) -> str | None:
        """The audience of the group named ``slug``; None (and an error) when there is no such group."""
        audience = self._audiences.get(slug)
        if audience is None:
            self.error(path, f"unknown group {slug!r}")
        return audience

    def item_audience(self, item: dict, path: str) -> str:
        """The audience of an item that names a ``group`` (its audience) or else a ``visibility``
        (default "members"); an unknown group is an error."""
        if item.get("group"):
            return self.group_audience(item["group"], f"{path}.group") or "members"
        return item.get("visibility", "members")

    # --- what the engine stores once the whole file is checked --------------------------

    def insert(self, model: Any, rows: list[dict]) -> None:
        """Queue rows for one bulk insert (in queue order, so parents before children)."""
        if rows:
            self.inserts.append((getattr(model, "__table__", model), rows))

    def activity(self, actor_id: int | None, verb: str, obj: tuple[str, Any] | None, at: datetime,
                 audience: str = "members", data: dict | None = None) -> None:
        """Queue an activity dated at the item's own time, as ``publish`` would have stored it then."""
        self.activities.append({"actor_id": actor_id, "verb": verb, "module": verb.split(".", 1)[0],
                                "object_type": obj[0] if obj else None,
                                "object_id": str(obj[1]) if obj else None,
                                "audience": audience, "data": data or {}, "created_at": at})

    @staticmethod
    def unusable_password() -> str:
        """Matches no password (werkzeug refuses a hash without ``$``): members use "forgot password"."""
        return f"!imported-{secrets.token_hex(8)}"


def each(items: Iterable[dict], path: str):
    """(index, item, path of the item) for a list of the document."""
    for index, item in enumerate(items):
        yield index, item, f"{path}[{index}]"


def bulk_insert(table, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        db.session.execute(table.insert(), rows[start:start + chunk])
