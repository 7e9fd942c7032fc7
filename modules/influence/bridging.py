"""Bridging highlights: conversations appreciated across circles, not only inside one.

For each conversation started in the last ``DAYS`` days (a root post, public or for members),
its *reactors* are the members who reacted to the root post or to one of its replies (a
member's reactions to their own posts left out; several reactions of one member count once).
A reactor's *circles* are their commune and the group rooms they belong to; a member in k
circles counts 1/k in each. With n reactors and p_c the share of the reactors in circle c:

    bridging score = n × (1 − Σ p_c²)

(1 − Σ p_c²) is the Gini-Simpson diversity of the reactors' circles: the chance that two
reactors drawn at random come from different circles. The score equals Σ over the reactors
of the share of reactors outside their own circle, so each reaction weighs by how different
it is from the others. Appreciation by one circle only scores 0. docs/influence-ranking.md
explains the choice, with worked examples.

Computed at most once per ``TTL`` seconds per process (``ranking.cached``), never written to
the database, never per page view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import String, cast, select
from sqlalchemy.orm import aliased

from community.activity import hidden_filter, module_audiences_of
from community.extensions import db
from community.models import Member
from community.timeutil import utcnow

from .models import InfluencePost, InfluenceReaction
from .ranking import cached

DAYS = 14
LIMIT = 10
TTL = 300.0
UNKNOWN_COMMUNE = "commune:?"  # members without a commune count as one circle (never as diversity)


@dataclass(frozen=True)
class Bridging:
    score: float
    reactors: int
    circles: int  # distinct circles among the reactors


def commune_circle(commune: str) -> str:
    name = " ".join((commune or "").split()).casefold()
    return f"commune:{name}" if name else UNKNOWN_COMMUNE


def bridging_scores(reactions: Iterable[tuple[int, int]],
                    circles: Mapping[int, Sequence[str]]) -> dict[int, Bridging]:
    """Score each conversation from (conversation id, reactor id) pairs and each reactor's circles;
    a pure function (unit-tested on a constructed case)."""
    reactors: dict[int, set[int]] = {}
    for conversation, member in reactions:
        reactors.setdefault(conversation, set()).add(member)
    result: dict[int, Bridging] = {}
    for conversation, members in reactors.items():
        weights: dict[str, float] = {}
        for member in members:
            own = circles.get(member) or (UNKNOWN_COMMUNE,)
            for circle in own:
                weights[circle] = weights.get(circle, 0.0) + 1.0 / len(own)
        n = len(members)
        diversity = 1.0 - sum((w / n) ** 2 for w in weights.values())
        result[conversation] = Bridging(score=max(0.0, n * diversity), reactors=n, circles=len(weights))
    return result


def _compute(days: int, limit: int) -> list[dict]:
    root = aliased(InfluencePost)
    rows = db.session.execute(
        select(InfluencePost.thread_id, InfluenceReaction.member_id)
        .join(InfluencePost, InfluencePost.id == InfluenceReaction.post_id)
        .join(root, root.id == InfluencePost.thread_id)
        .where(root.created_at >= utcnow() - timedelta(days=days), root.reply_to_id.is_(None),
               root.deleted_at.is_(None), root.audience.in_(("public", "members")),
               InfluencePost.deleted_at.is_(None), InfluenceReaction.member_id != InfluencePost.author_id,
               hidden_filter("influence.post", cast(root.id, String)))
        .distinct()).all()
    member_ids = sorted({member for _, member in rows})
    groups = module_audiences_of(member_ids)  # a few queries for all the reactors, not one each
    circles: dict[int, list[str]] = {}
    for start in range(0, len(member_ids), 500):
        for member_id, commune in db.session.execute(select(Member.id, Member.commune).where(
                Member.id.in_(member_ids[start:start + 500]))):
            circles[member_id] = [commune_circle(commune), *(a for a in groups.get(member_id, ())
                                                             if not a.startswith("member:"))]
    scores = {c: s for c, s in bridging_scores(rows, circles).items() if s.score > 0}
    top = sorted(scores.items(), key=lambda item: (-item[1].score, -item[1].reactors, -item[0]))[:limit]
    posts = {p.id: p for p in db.session.scalars(select(InfluencePost).where(
        InfluencePost.id.in_([c for c, _ in top])))} if top else {}
    # Plain values, not ORM objects: the list outlives the session that computed it.
    return [{"post_id": c, "score": s.score, "reactors": s.reactors, "circles": s.circles,
             "excerpt": " ".join(posts[c].body.split())[:160], "author_name": posts[c].author.display_name,
             "author_handle": posts[c].author.handle,
             "author_erased": posts[c].author.erased_at is not None, "created_at": posts[c].created_at,
             "replies": posts[c].reply_count}
            for c, s in top if c in posts]


def bridging(days: int = DAYS, limit: int = LIMIT) -> list[dict]:
    """The conversations of the last ``days`` days with the highest bridging score (cached)."""
    return cached(("bridging", days, limit), lambda: _compute(days, limit), ttl=TTL)
