"""Activity points, levels and badges, computed from the activity stream (docs/influence-ranking.md).

Each action (an activity verb of any module) is worth the points the admins set; recent actions
weigh more. A member's ``InfluencePoints`` row keeps:

- ``total``: every point ever earned;
- ``score``: the decayed score as of ``updated_at``: on each new action at time t,
  ``score = score · 2^(−(t − updated_at) / half_life) + points``; readers decay it to now;
- ``month_total``: the points earned in the calendar month ``month`` (UTC).

The level (1 to 10) follows the decayed score through ``LEVEL_THRESHOLDS``.

The row is written by ``_on_activity_published`` (one write, in its own transaction) and can be
rebuilt from the activity table at any time (``rebuild_points``): the module's ``on_enable``
does it, because receivers are silent while the module is off. Reading points never writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import aliased

from community.database import mark_writing
from community.extensions import db
from community.models import Activity, Member
from community.settings import module_setting
from community.timeutil import utcnow

from .models import InfluenceBadge, InfluencePoints, InfluencePost

# Defaults of the "points" setting. Verbs of modules that are not there yet simply never occur;
# any verb missing from the rules is worth 0.
DEFAULT_POINTS: dict[str, int] = {
    "influence.post": 3,
    "influence.reply": 2,
    "influence.relay": 1,
    "core.follow": 1,
    "coordination.event_created": 5,
    "coordination.checkin": 2,
    "coordination.report": 4,
    "collaboration.contribution": 2,
}
DEFAULT_HALF_LIFE_DAYS = 30
MAX_POINTS = 100  # per action, checked by the admin form

VERB_LABELS = {
    "influence.post": _l("Writing a post"),
    "influence.reply": _l("Answering in a conversation"),
    "influence.relay": _l("Relaying a post to one's followers"),
    "core.follow": _l("Following a member"),
    "coordination.event_created": _l("Organising an event"),
    "coordination.checkin": _l("Attending an event (checked in)"),
    "coordination.report": _l("Sending a field report"),
    "collaboration.contribution": _l("Contributing to a debate or a group"),
}

# Level n is reached when the decayed score is at least LEVEL_THRESHOLDS[n - 1]: 0, then 5 doubled
# at each level, so each level asks for twice the recent activity of the one before.
LEVEL_THRESHOLDS = (0, 5, 10, 20, 40, 80, 160, 320, 640, 1280)

# The verb the coordination module publishes when an attendee is checked in at an event, with
# the attendee as actor; it earns the "first event attended" badge.
ATTEND_VERBS = ("coordination.checkin",)
ANSWERED_REPLIES = 10  # replies of one's own that someone else answered, for the badge
TEN_POSTS = 10

BADGES = {
    "first_post": (_l("First post"), _l("Wrote a first post.")),
    "first_reply": (_l("First reply"), _l("Took part in a conversation for the first time.")),
    "first_relay": (_l("First relay"), _l("Relayed a post to their followers for the first time.")),
    "ten_posts": (_l("Ten posts"), _l("Wrote ten posts.")),
    "ten_answered": (_l("Conversation starter"), _l("Ten of their replies got an answer from someone else.")),
    "first_event": (_l("First event"), _l("Attended a first event.")),
}
FIRST_BADGES = {"influence.post": "first_post", "influence.reply": "first_reply",
                "influence.relay": "first_relay", **{verb: "first_event" for verb in ATTEND_VERBS}}
BADGE_VERBS = frozenset(FIRST_BADGES)


# --- the rules -------------------------------------------------------------------------------


def point_rules() -> dict[str, int]:
    """Points per verb: the defaults, overridden by what the admins stored (a verb added to the
    defaults later keeps its default until an admin changes it)."""
    stored = module_setting("influence", "points") or {}
    return {**DEFAULT_POINTS, **{verb: int(value) for verb, value in stored.items()}}


def half_life_days() -> float:
    return float(module_setting("influence", "points_half_life_days"))


def leaderboard_enabled() -> bool:
    return bool(module_setting("influence", "leaderboard_enabled"))


def level_for(score: float) -> int:
    """The level (1-10) of a decayed score."""
    level = 1
    for n, threshold in enumerate(LEVEL_THRESHOLDS, start=1):
        if score >= threshold:
            level = n
    return level


def decay(value: float, since: datetime | None, until: datetime, half_life: float) -> float:
    """``value`` as of ``since``, decayed to ``until`` (halved every ``half_life`` days; never grows)."""
    if since is None or until <= since or value == 0:
        return value
    days = (until - since).total_seconds() / 86400
    return value * math.pow(2.0, -days / half_life)


def month_key(at: datetime) -> str:
    return at.strftime("%Y-%m")


@dataclass
class PointsState:
    """The columns of an InfluencePoints row, and the one rule that advances them."""

    total: int = 0
    score: float = 0.0
    month_total: int = 0
    month: str = ""
    updated_at: datetime | None = None
    last_activity_id: int = 0

    def add(self, points: int, at: datetime, activity_id: int, half_life: float) -> PointsState:
        """The state after an action worth ``points`` at ``at``. Actions arrive in id order; one
        dated before ``updated_at`` (clocks of several servers) is decayed to it instead."""
        ref = at if self.updated_at is None else max(self.updated_at, at)
        self.score = decay(self.score, self.updated_at, ref, half_life) + decay(points, at, ref, half_life)
        month = month_key(at)
        if month == self.month:
            self.month_total += points
        elif month > self.month:
            self.month, self.month_total = month, points
        self.total += points
        self.updated_at = ref
        self.last_activity_id = max(self.last_activity_id, activity_id)
        return self


@dataclass(frozen=True)
class MemberPoints:
    """What a member sees of their points, as of ``now``."""

    total: int
    score: float
    month_total: int
    level: int
    next_threshold: int | None  # the score of the next level, None at level 10


def member_points(member_id: int, now: datetime | None = None) -> MemberPoints:
    """A member's points decayed to ``now`` (one read, no write)."""
    now = now or utcnow()
    row = db.session.get(InfluencePoints, member_id)
    if row is None:
        return MemberPoints(0, 0.0, 0, 1, LEVEL_THRESHOLDS[1])
    score = decay(row.score, row.updated_at, now, half_life_days())
    level = level_for(score)
    return MemberPoints(total=row.total, score=score,
                        month_total=row.month_total if row.month == month_key(now) else 0, level=level,
                        next_threshold=LEVEL_THRESHOLDS[level] if level < len(LEVEL_THRESHOLDS) else None)


def badges_of(member_id: int) -> list[tuple[str, object, object, datetime]]:
    """(key, label, description, awarded_at) of a member's badges, oldest first."""
    rows = db.session.execute(select(InfluenceBadge.badge, InfluenceBadge.awarded_at)
                              .where(InfluenceBadge.member_id == member_id)
                              .order_by(InfluenceBadge.awarded_at, InfluenceBadge.badge)).all()
    return [(key, *BADGES[key], at) for key, at in rows if key in BADGES]


def most_active(member_ids: Iterable[int] | None = None, *, now: datetime | None = None,
                limit: int = 20) -> list[tuple[Member, int]]:
    """(member, points this month) of the most active members this month, most points first.

    Only members listed in the directory appear (being listed reveals one's membership).
    ``member_ids`` restricts the list to some members, e.g. a group's: groups belong to the
    collaboration module, which passes its members' ids; the influence module knows no group.
    """
    query = (select(Member, InfluencePoints.month_total)
             .join(InfluencePoints, InfluencePoints.member_id == Member.id)
             .where(InfluencePoints.month == month_key(now or utcnow()), InfluencePoints.month_total > 0,
                    Member.in_directory.is_(True), Member.erased_at.is_(None), Member.suspended_at.is_(None))
             .order_by(InfluencePoints.month_total.desc(), Member.id).limit(limit))
    if member_ids is not None:
        query = query.where(Member.id.in_(list(member_ids)))
    return [(member, points) for member, points in db.session.execute(query).all()]


# --- from the activity stream, one activity at a time ---------------------------------------------


def _dialect_insert(model):
    """INSERT … ON CONFLICT for the current backend (SQLite and PostgreSQL both have it)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _counted_before(activity: Activity) -> bool:
    """True when the same member already did the same action on the same object (an unfollow
    and a new follow, say): an action counts once per object."""
    if activity.object_id is None:
        return False
    earlier = aliased(Activity)
    return db.session.scalar(select(earlier.id).where(
        earlier.actor_id == activity.actor_id, earlier.verb == activity.verb,
        earlier.object_type == activity.object_type, earlier.object_id == activity.object_id,
        earlier.id < activity.id).limit(1)) is not None


def _apply_points(member_id: int, points: int, at: datetime, activity_id: int, half_life: float) -> bool:
    """Advance the member's row by one action (compare-and-set on ``last_activity_id``, so a
    concurrent writer makes us retry rather than lose an update). False when already counted."""
    table = InfluencePoints.__table__
    for _attempt in range(5):
        row = db.session.execute(select(table).where(table.c.member_id == member_id).with_for_update()).first()
        if row is None:
            state = PointsState().add(points, at, activity_id, half_life)
            inserted = db.session.execute(
                _dialect_insert(InfluencePoints).values(member_id=member_id, **asdict(state))
                .on_conflict_do_nothing(index_elements=["member_id"]))
            if inserted.rowcount:
                return True
            continue
        if row.last_activity_id >= activity_id:
            return False
        state = PointsState(total=row.total, score=row.score, month_total=row.month_total, month=row.month,
                            updated_at=row.updated_at, last_activity_id=row.last_activity_id)
        state.add(points, at, activity_id, half_life)
        updated = db.session.execute(update(table).where(
            table.c.member_id == member_id, table.c.last_activity_id == row.last_activity_id).values(**asdict(state)))
        if updated.rowcount:
            return True
    raise RuntimeError(f"points of member {member_id}: too many concurrent updates")


def _award(rows: list[dict]) -> None:
    """Insert badges, keeping those already awarded (the primary key makes this idempotent)."""
    if rows:
        db.session.execute(_dialect_insert(InfluenceBadge).on_conflict_do_nothing(), rows)


def _answered_replies(member_id: int) -> int:
    """How many of the member's replies someone else answered (deleted posts left out)."""
    answer = aliased(InfluencePost)
    return db.session.scalar(
        select(func.count(func.distinct(InfluencePost.id)))
        .join(answer, and_(answer.thread_id == InfluencePost.thread_id, answer.reply_to_id == InfluencePost.id))
        .where(InfluencePost.author_id == member_id, InfluencePost.reply_to_id.is_not(None),
               InfluencePost.deleted_at.is_(None), answer.deleted_at.is_(None), answer.author_id != member_id)) or 0


def _badges_for(activity: Activity) -> list[dict]:
    """The badges this activity earns (its actor's, or the answered member's for a reply)."""
    verb, actor_id, at = activity.verb, activity.actor_id, activity.created_at
    if verb not in BADGE_VERBS:
        return []
    held = set(db.session.scalars(select(InfluenceBadge.badge).where(InfluenceBadge.member_id == actor_id)))
    awards = []
    first = FIRST_BADGES[verb]
    if first not in held:
        awards.append({"member_id": actor_id, "badge": first, "awarded_at": at})
    if verb == "influence.post" and "ten_posts" not in held:
        count = db.session.scalar(select(func.count()).select_from(Activity).where(
            Activity.actor_id == actor_id, Activity.verb == "influence.post", Activity.id <= activity.id))
        if count >= TEN_POSTS:
            awards.append({"member_id": actor_id, "badge": "ten_posts", "awarded_at": at})
    if verb == "influence.reply" and activity.object_id and activity.object_id.isdigit():
        reply = db.session.get(InfluencePost, int(activity.object_id))
        parent = db.session.get(InfluencePost, reply.reply_to_id) if reply and reply.reply_to_id else None
        if parent is not None and parent.reply_to_id is not None and parent.author_id != actor_id:
            already = db.session.get(InfluenceBadge, (parent.author_id, "ten_answered"))
            if already is None and _answered_replies(parent.author_id) >= ANSWERED_REPLIES:
                # dated by the answer, as rebuild_points dates it
                awards.append({"member_id": parent.author_id, "badge": "ten_answered",
                               "awarded_at": reply.created_at})
    return awards


def record_activity(activity: Activity) -> None:
    """Count one published activity: its actor's points and the badges it earns; commits."""
    if activity.actor_id is None:
        return
    points = point_rules().get(activity.verb, 0)
    if points <= 0 and activity.verb not in BADGE_VERBS:
        return
    # Write in a transaction of our own, begun as a writer (SQLite: BEGIN IMMEDIATE) whatever the
    # request that published (a Socket.IO handler's request is a GET): end the read one first.
    writing = g.get("db_write")
    mark_writing(True)
    try:
        db.session.commit()
        awards = _badges_for(activity)
        if points > 0 and not _counted_before(activity):
            _apply_points(activity.actor_id, points, activity.created_at, activity.id, half_life_days())
        _award(awards)
        db.session.commit()
    finally:
        if writing is None:
            g.pop("db_write", None)
        else:
            mark_writing(writing)


def _on_activity_published(sender, activity=None, **kwargs) -> None:
    """Receiver of signals.activity_published. The action is already saved: a failure here must
    not turn it into an error page, and ``flask influence rebuild-points`` repairs the points."""
    if activity is None:
        return
    try:
        record_activity(activity)
    except Exception:  # noqa: BLE001 - logged; the points are a rebuildable cache
        db.session.rollback()
        current_app.logger.exception("influence: could not count the points of activity %s", activity.id)


# --- from the activity stream, all at once ------------------------------------------------------


def rebuild_points() -> int:
    """Recompute every member's points (and award missing badges) from the activity table; the
    caller commits. Deterministic: each member's activities are applied in id order with the
    same rule as the receiver. Returns the number of members with points."""
    rules = {verb: p for verb, p in point_rules().items() if p > 0}
    half_life = half_life_days()
    verbs = set(rules) | BADGE_VERBS
    states: list[dict] = []
    awards: list[dict] = []
    query = (select(Activity.id, Activity.actor_id, Activity.verb, Activity.object_type, Activity.object_id,
                    Activity.created_at)
             .where(Activity.actor_id.is_not(None), Activity.verb.in_(sorted(verbs)))
             .order_by(Activity.actor_id, Activity.id)
             .execution_options(yield_per=5000))
    current, state, seen, posts, firsts = None, None, set(), 0, set()

    def finish():
        if state is not None and state.last_activity_id:
            states.append({"member_id": current, **asdict(state)})

    for ident, actor_id, verb, object_type, object_id, at in db.session.execute(query):
        if actor_id != current:
            finish()
            current, state, seen, posts, firsts = actor_id, PointsState(), set(), 0, set()
        if verb in FIRST_BADGES and FIRST_BADGES[verb] not in firsts:
            firsts.add(FIRST_BADGES[verb])
            awards.append({"member_id": actor_id, "badge": FIRST_BADGES[verb], "awarded_at": at})
        if verb == "influence.post":
            posts += 1
            if posts == TEN_POSTS:
                awards.append({"member_id": actor_id, "badge": "ten_posts", "awarded_at": at})
        if verb in rules:
            key = (verb, object_type, object_id)
            if object_id is None or key not in seen:
                if object_id is not None:
                    seen.add(key)
                state.add(rules[verb], at, ident, half_life)
    finish()
    awards.extend(_answered_reply_badges())
    # The rows are a cache derived from the activity table, replaced within one transaction:
    # nothing a member made is deleted (badges, which are history, are only ever added).
    db.session.execute(delete(InfluencePoints))
    for start in range(0, len(states), 5000):
        db.session.execute(InfluencePoints.__table__.insert(), states[start:start + 5000])
    for start in range(0, len(awards), 5000):
        _award(awards[start:start + 5000])
    return len(states)


def _answered_reply_badges() -> list[dict]:
    """The "ten answered replies" badge for every member who earned it, dated when the tenth of
    their replies got its first answer from someone else."""
    answer = aliased(InfluencePost)
    rows = db.session.execute(
        select(InfluencePost.author_id, InfluencePost.id, func.min(answer.created_at))
        .join(answer, and_(answer.thread_id == InfluencePost.thread_id, answer.reply_to_id == InfluencePost.id))
        .where(InfluencePost.reply_to_id.is_not(None), InfluencePost.deleted_at.is_(None),
               answer.deleted_at.is_(None), answer.author_id != InfluencePost.author_id)
        .group_by(InfluencePost.author_id, InfluencePost.id)).all()
    firsts: dict[int, list[datetime]] = {}
    for author_id, _post_id, first_answer in rows:
        firsts.setdefault(author_id, []).append(first_answer)
    return [{"member_id": author_id, "badge": "ten_answered", "awarded_at": sorted(times)[ANSWERED_REPLIES - 1]}
            for author_id, times in sorted(firsts.items()) if len(times) >= ANSWERED_REPLIES]


def rebuild_points_command() -> None:
    """Recompute members' activity points and badges from the activity stream."""
    import click

    count = rebuild_points()
    db.session.commit()
    click.echo(f"influence: points rebuilt for {count} members")
