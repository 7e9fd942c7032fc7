"""Reading the community for the assessment: SQL does the filtering and the counting, numpy holds ids.

Nothing here builds a Python object per row: selects are streamed in partitions into int64 arrays.
Members are addressed by their *position* in ``M`` (0..n-1), through a lookup array indexed by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np
from sqlalchemy import Select, and_, func, select

from ..extensions import db
from ..models import Activity, Follow, Member
from .arrays import distinct, distinct_rows, runs
from .probes import Capability, Contributions, Gatherings, Ties, Window

CHUNK = 200_000


def stream(stmt: Select, width: int) -> np.ndarray:
    """The rows of ``stmt`` (``width`` integer columns, no NULL) as an (rows, width) int64 array."""
    parts = []
    # Core execution and the DBAPI cursor's own tuples: no row objects for millions of ids. No
    # stream_results: its buffered strategy reads ahead of the raw cursor (rows would be missed).
    result = db.session.connection().execute(stmt)
    try:
        while rows := result.cursor.fetchmany(CHUNK):
            flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows) * width)
            parts.append(flat.reshape(-1, width))
    finally:
        result.close()
    if not parts:
        return np.empty((0, width), dtype=np.int64)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def member_filter(window: Window):
    """``M``: joined strictly before as_of, not suspended, not erased (as they are now)."""
    return and_(Member.joined_at < window.as_of, Member.suspended_at.is_(None), Member.erased_at.is_(None))


@dataclass
class Members:
    """``M`` as arrays: ids (sorted), whether the role is ``member``, the commune of each."""

    ids: np.ndarray
    plain: np.ndarray  # bool: role == "member"
    communes: list[str]
    lookup: np.ndarray = field(repr=False)  # id -> position, -1 outside M

    @property
    def n(self) -> int:
        return len(self.ids)

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Positions of ``ids`` in M; -1 for ids outside M (unknown, NULL as -1, late, suspended, erased)."""
        result = np.full(ids.shape, -1, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self.lookup))
        result[inside] = self.lookup[ids[inside]]
        return result


def load_members(window: Window) -> Members:
    rows = db.session.execute(select(Member.id, Member.role, Member.commune).where(member_filter(window))
                              .order_by(Member.id)).all()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    plain = np.fromiter((r[1] == "member" for r in rows), dtype=bool, count=len(rows))
    communes = [r[2] or "" for r in rows]
    lookup = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
    lookup[ids] = np.arange(len(ids))
    return Members(ids=ids, plain=plain, communes=communes, lookup=lookup)


def load_follows(window: Window, members: Members) -> np.ndarray:
    """Directed follows (positions) made before as_of with both ends in M."""
    rows = stream(select(Follow.follower_id, Follow.followed_id).where(window.before_end(Follow.created_at)), 2)
    pos = members.positions(rows)
    keep = (pos[:, 0] >= 0) & (pos[:, 1] >= 0) & (pos[:, 0] != pos[:, 1])
    return pos[keep]


@dataclass
class ContributionRows:
    """One kind's contributions in W by members of M, as positions and item ids (-1: none)."""

    kind: str
    replyable: bool
    author: np.ndarray  # position in M
    item: np.ndarray  # the item's id within its kind
    reply_to: np.ndarray  # id of the item answered, -1 for a top-level item
    reply_to_author: np.ndarray  # position in M of the author answered, -1 if none or outside M


def load_contributions(source: Contributions, window: Window, members: Members) -> ContributionRows:
    """The engine applies the window to the probe's ``created_at`` (start included, end excluded)."""
    sq = source.select.subquery()
    stmt = select(sq.c.author_id, sq.c.item_id, func.coalesce(sq.c.reply_to_id, -1),
                  func.coalesce(sq.c.reply_to_author_id, -1)).where(
        window.contains(sq.c.created_at), sq.c.author_id.is_not(None))
    rows = stream(stmt, 4)
    author = members.positions(rows[:, 0])
    keep = author >= 0
    rows = rows[keep]
    return ContributionRows(kind=source.kind, replyable=source.replyable, author=author[keep], item=rows[:, 1],
                            reply_to=rows[:, 2], reply_to_author=members.positions(rows[:, 3]))


def load_gathering_edges(source: Gatherings, members: Members) -> np.ndarray:
    """Pairs of members of M listed together in a gathering of at most ``source.limit`` people.

    The limit counts everyone the probe lists under a key, in M or not (ASSESSMENT.md)."""
    sq = source.select.subquery()
    rows = stream(select(sq.c.key, sq.c.member_id).where(sq.c.member_id.is_not(None)), 2)
    if not len(rows):
        return np.empty((0, 2), dtype=np.int64)
    rows = distinct_rows(rows)  # a person listed twice under a key counts once; sorted by key
    label, _starts, sizes = runs(rows[:, 0])
    small = sizes[label] <= source.limit
    pos = members.positions(rows[:, 1])
    keep = small & (pos >= 0)
    return clique_edges(label[keep], pos[keep])


def clique_edges(group: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Every pair of positions sharing a group label, without a Python loop over groups."""
    if not len(group):
        return np.empty((0, 2), dtype=np.int64)
    order = np.lexsort((pos, group))
    group, pos = group[order], pos[order]
    _label, starts, sizes = runs(group)
    edges = []
    for size in distinct(sizes):
        if size < 2:
            continue
        chosen = starts[sizes == size]
        block = pos[chosen[:, None] + np.arange(size)[None, :]]  # (groups of this size, size)
        i, j = np.triu_indices(size, k=1)
        edges.append(np.stack([block[:, i].ravel(), block[:, j].ravel()], axis=1))
    return np.concatenate(edges) if edges else np.empty((0, 2), dtype=np.int64)


def load_ties(source: Ties, members: Members) -> np.ndarray:
    sq = source.select.subquery()
    pos = members.positions(stream(select(sq.c.a_id, sq.c.b_id).where(
        sq.c.a_id.is_not(None), sq.c.b_id.is_not(None)), 2))
    keep = (pos[:, 0] >= 0) & (pos[:, 1] >= 0) & (pos[:, 0] != pos[:, 1])
    return pos[keep]


def activity_counts(window: Window, members: Members) -> dict[str, int]:
    """Activities in W by members of M, per publishing module: SQL counts per (module, actor), numpy keeps M
    (rather than joining every activity row to the member table)."""
    counts = {}
    for module in db.session.scalars(select(Activity.module).distinct()).all():
        rows = stream(select(Activity.actor_id, func.count()).where(
            Activity.module == module, Activity.actor_id.is_not(None), window.contains(Activity.created_at))
            .group_by(Activity.actor_id), 2)
        inside = members.positions(rows[:, 0]) >= 0
        counts[module] = int(rows[inside, 1].sum())
    return counts


def split_probe_items(items) -> dict[type, list]:
    found: dict[type, list] = {Capability: [], Contributions: [], Gatherings: [], Ties: []}
    for item in items:
        for kind in found:
            if isinstance(item, kind):
                found[kind].append(item)
                break
        else:
            raise TypeError(f"a probe yielded {item!r}, not a Capability, Contributions, Gatherings or Ties")
    return found
