"""Opinion maps: questions, statements and votes as plain functions (no HTTP), and the map.

Statements are anonymous to other members (as in Pol.is: one judges an idea, not its author);
the author is stored for their export and to tell them when a moderator hides a statement.
Submitting a statement records its author's *agree* vote, which they may change like any other
vote. Votes are secret: no page, activity or export shows what another member voted; the map
shows groups of at least five participants only. The map is computed from the votes by
``opinion_map.compute_map`` and kept in a per-process cache (see ``opinion_map_view``): a page
view never writes to the database. docs/opinion-maps.md has the rules and the method.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import chain

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, cast, func, select, update

from community.activity import hidden_filter, publish
from community.extensions import db
from community.models import HiddenContent
from community.timeutil import utcnow

from .access import can_see_group_content, get_group, group_room, is_animator
from .models import (
    CollaborationGroup,
    CollaborationMembership,
    CollaborationOpinionQuestion,
    CollaborationStatement,
    CollaborationVote,
)
from .opinion_map import MapParams, OpinionMap, compute_map, vote_matrix

MAX_STATEMENT = 280
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
PRIVACY_FLOOR = 5  # ARCHITECTURE §5: no breakdown over fewer than five members
MAP_PARAMS = MapParams()
MAP_REFRESH_SECONDS = 30.0  # after new votes, a cached map may be served this long before recomputing
MAP_CACHE_SIZE = 64  # questions whose map is kept in memory (least recently used dropped)
LIST_PAGE = 50
STATEMENT_KIND = "collaboration.statement"
VOTE_VALUES = {"1": 1, "0": 0, "-1": -1, "agree": 1, "pass": 0, "disagree": -1}
VOTE_NAMES = {1: "agree", 0: "pass", -1: "disagree"}


class OpinionError(ValueError):
    """A refused action; str() is a translated message for the member."""


def _visible():
    """WHERE clause: the statement is not hidden by a moderator."""
    return hidden_filter(STATEMENT_KIND, cast(CollaborationStatement.id, String))


# --- questions ---------------------------------------------------------------------------------


def get_question(question_id: int, member) -> CollaborationOpinionQuestion | None:
    """The question when ``member`` may see it (its group's members, or everyone for a
    movement-wide one); None otherwise, so that views answer 404 either way."""
    question = db.session.get(CollaborationOpinionQuestion, question_id)
    if question is None or not can_see_group_content(member, question.group_id):
        return None
    return question


def is_open(question: CollaborationOpinionQuestion) -> bool:
    """Statements and votes are taken until the question is closed or its group archived."""
    if question.closed_at is not None:
        return False
    group = get_group(question.group_id) if question.group_id else None
    return group is None or group.archived_at is None


def audience_of(question: CollaborationOpinionQuestion) -> str:
    return group_room(question.group_id) if question.group_id else "members"


def creatable_groups(member) -> list[CollaborationGroup]:
    """Groups where ``member`` is an active animator (not archived): they may ask questions there."""
    return list(db.session.scalars(
        select(CollaborationGroup)
        .join(CollaborationMembership, CollaborationMembership.group_id == CollaborationGroup.id)
        .where(CollaborationMembership.member_id == member.id, CollaborationMembership.status == "active",
               CollaborationMembership.role == "animator", CollaborationGroup.archived_at.is_(None))
        .order_by(CollaborationGroup.name)))


def can_create(member, group_id: int | None) -> bool:
    """Movement-wide questions: organisers and above; a group's: its animators (and moderators)."""
    if member is None or not getattr(member, "is_authenticated", False):
        return False
    if group_id is None:
        return member.has_role("organiser")
    group = get_group(group_id)
    return group is not None and group.archived_at is None and is_animator(member, group_id)


def can_close(member, question: CollaborationOpinionQuestion) -> bool:
    if question.closed_at is not None or not getattr(member, "is_authenticated", False):
        return False
    if question.author_id == member.id or member.has_role("moderator"):
        return True
    return is_animator(member, question.group_id) if question.group_id else member.has_role("organiser")


def create_question(author, title: str, description: str = "", group_id: int | None = None):
    """Ask a question on an opinion map and announce it to whoever may take part."""
    title, description = " ".join((title or "").split()), (description or "").strip()
    if not title:
        raise OpinionError(_l("Give the question a title."))
    if len(title) > MAX_TITLE:
        raise OpinionError(_l("A title has at most %(n)d characters.", n=MAX_TITLE))
    if len(description) > MAX_DESCRIPTION:
        raise OpinionError(_l("A description has at most %(n)d characters.", n=MAX_DESCRIPTION))
    if not can_create(author, group_id):
        raise OpinionError(_l("You may not ask a question here."))
    question = CollaborationOpinionQuestion(title=title, description=description, group_id=group_id,
                                            author_id=author.id)
    db.session.add(question)
    db.session.flush()
    publish(author, "collaboration.opinion_question", question, audience=audience_of(question), data={
        "endpoint": "collaboration.opinion", "args": {"question_id": question.id}, "title": title})
    return question


def close_question(question: CollaborationOpinionQuestion, member) -> None:
    """Stop taking statements and votes; the map stays readable."""
    if not can_close(member, question):
        raise OpinionError(_l("You may not close this question."))
    db.session.execute(update(CollaborationOpinionQuestion).where(
        CollaborationOpinionQuestion.id == question.id, CollaborationOpinionQuestion.closed_at.is_(None))
        .values(closed_at=utcnow()))
    db.session.commit()


@dataclass
class QuestionSummary:
    question: CollaborationOpinionQuestion
    group: CollaborationGroup | None
    statements: int
    participants: int


def visible_questions(member, *, group_id: int | None = None, before: int | None = None,
                      limit: int = LIST_PAGE) -> list[QuestionSummary]:
    """Questions the member may see, newest first (keyset on id): movement-wide ones and those of
    their groups, or only one group's when ``group_id`` is given. Three queries whatever the page."""
    from .access import member_group_ids

    query = select(CollaborationOpinionQuestion)
    if group_id is not None:
        if not can_see_group_content(member, group_id):
            return []
        query = query.where(CollaborationOpinionQuestion.group_id == group_id)
    else:
        groups = member_group_ids(member)
        query = query.where(CollaborationOpinionQuestion.group_id.is_(None)
                            | CollaborationOpinionQuestion.group_id.in_(groups))
    if before is not None:
        query = query.where(CollaborationOpinionQuestion.id < before)
    questions = list(db.session.scalars(query.order_by(CollaborationOpinionQuestion.id.desc()).limit(limit)))
    ids = [q.id for q in questions]
    statements, participants = {}, {}
    if ids:
        statements = dict(db.session.execute(
            select(CollaborationStatement.question_id, func.count()).where(
                CollaborationStatement.question_id.in_(ids), _visible())
            .group_by(CollaborationStatement.question_id)).all())
        participants = dict(db.session.execute(
            select(CollaborationStatement.question_id, func.count(func.distinct(CollaborationVote.member_id)))
            .join(CollaborationVote, CollaborationVote.statement_id == CollaborationStatement.id)
            .where(CollaborationStatement.question_id.in_(ids)).group_by(CollaborationStatement.question_id)).all())
    group_ids = {q.group_id for q in questions if q.group_id}
    groups = {g.id: g for g in db.session.scalars(
        select(CollaborationGroup).where(CollaborationGroup.id.in_(group_ids)))} if group_ids else {}
    return [QuestionSummary(q, groups.get(q.group_id), statements.get(q.id, 0), participants.get(q.id, 0))
            for q in questions]


# --- statements ----------------------------------------------------------------------------------


def get_statement(question: CollaborationOpinionQuestion, statement_id: int) -> CollaborationStatement | None:
    """A visible statement of this question, else None."""
    return db.session.scalar(select(CollaborationStatement).where(
        CollaborationStatement.id == statement_id, CollaborationStatement.question_id == question.id, _visible()))


def check_statement(text: str) -> str:
    """The statement as stored (spaces collapsed), or OpinionError with the reason."""
    text = " ".join((text or "").split())
    if not text:
        raise OpinionError(_l("Write a statement first."))
    if len(text) > MAX_STATEMENT:
        raise OpinionError(_l("A statement has at most %(n)d characters (this one has %(m)d).",
                              n=MAX_STATEMENT, m=len(text)))
    return text


def add_statement(question: CollaborationOpinionQuestion, author, text: str) -> CollaborationStatement:
    """Store a statement and its author's agree vote, then announce it (anonymously)."""
    if not is_open(question):
        raise OpinionError(_l("This question is closed: it takes no more statements."))
    text = check_statement(text)
    duplicate = db.session.scalar(select(CollaborationStatement.id).where(
        CollaborationStatement.question_id == question.id, func.lower(CollaborationStatement.text) == text.lower()))
    if duplicate is not None:
        raise OpinionError(_l("This statement is already on the list: vote on it instead."))
    statement = CollaborationStatement(question_id=question.id, author_id=author.id, text=text)
    db.session.add(statement)
    db.session.flush()
    _upsert_votes(author.id, {statement.id: 1})
    # No actor: statements are anonymous, so the activity must not name its author either.
    publish(None, "collaboration.statement", statement, audience=audience_of(question),
            notify=[question.author_id] if question.author_id not in (None, author.id) else [],
            data={"endpoint": "collaboration.opinion", "args": {"question_id": question.id},
                  "title": question.title, "text": text})
    return statement


@dataclass
class StatementRow:
    statement: CollaborationStatement
    mine: int | None  # the viewer's vote
    own: bool  # written by the viewer
    agree: int = 0
    disagree: int = 0
    passed: int = 0

    @property
    def total(self) -> int:
        return self.agree + self.disagree + self.passed

    @property
    def shown(self) -> bool:
        """Counts are shown from five votes on (no breakdown over fewer members)."""
        return self.total >= PRIVACY_FLOOR

    def percent(self, count: int) -> int:
        return round(100 * count / self.total) if self.total else 0


def statement_rows(question: CollaborationOpinionQuestion, member) -> list[StatementRow]:
    """Every visible statement, oldest first, with the viewer's vote and the counts (two queries)."""
    agree = func.sum(case((CollaborationVote.value == 1, 1), else_=0))
    disagree = func.sum(case((CollaborationVote.value == -1, 1), else_=0))
    passed = func.sum(case((CollaborationVote.value == 0, 1), else_=0))
    rows = db.session.execute(
        select(CollaborationStatement, agree, disagree, passed)
        .outerjoin(CollaborationVote, CollaborationVote.statement_id == CollaborationStatement.id)
        .where(CollaborationStatement.question_id == question.id, _visible())
        .group_by(CollaborationStatement.id).order_by(CollaborationStatement.id)).all()
    mine = my_votes(question, member)
    return [StatementRow(s, mine.get(s.id), s.author_id == member.id, int(a or 0), int(d or 0), int(p or 0))
            for s, a, d, p in rows]


def my_votes(question: CollaborationOpinionQuestion, member) -> dict[int, int]:
    return dict(db.session.execute(
        select(CollaborationVote.statement_id, CollaborationVote.value)
        .join(CollaborationStatement, CollaborationStatement.id == CollaborationVote.statement_id)
        .where(CollaborationStatement.question_id == question.id, CollaborationVote.member_id == member.id)).all())


def next_statements(question: CollaborationOpinionQuestion, member, limit: int = 1) -> list[CollaborationStatement]:
    """Visible statements the member has not voted on: those with the fewest votes first (so new
    statements are seen soon), then the oldest."""
    counts = (select(CollaborationVote.statement_id, func.count().label("n"))
              .join(CollaborationStatement, CollaborationStatement.id == CollaborationVote.statement_id)
              .where(CollaborationStatement.question_id == question.id)
              .group_by(CollaborationVote.statement_id).subquery())
    voted = select(CollaborationVote.statement_id).where(CollaborationVote.member_id == member.id)
    return list(db.session.scalars(
        select(CollaborationStatement).outerjoin(counts, counts.c.statement_id == CollaborationStatement.id)
        .where(CollaborationStatement.question_id == question.id, _visible(),
               CollaborationStatement.id.not_in(voted))
        .order_by(func.coalesce(counts.c.n, 0), CollaborationStatement.id).limit(limit)))


def progress(question: CollaborationOpinionQuestion, member) -> tuple[int, int]:
    """(statements the member voted on, visible statements)."""
    total = db.session.scalar(select(func.count()).select_from(CollaborationStatement).where(
        CollaborationStatement.question_id == question.id, _visible())) or 0
    done = db.session.scalar(
        select(func.count()).select_from(CollaborationVote)
        .join(CollaborationStatement, CollaborationStatement.id == CollaborationVote.statement_id)
        .where(CollaborationStatement.question_id == question.id, CollaborationVote.member_id == member.id,
               _visible())) or 0
    return done, total


# --- votes -----------------------------------------------------------------------------------------


def parse_vote(value) -> int:
    """1, 0 or −1 from a form value ("1", "0", "-1", "agree", "pass", "disagree")."""
    parsed = VOTE_VALUES.get(str(value).strip().lower()) if value is not None else None
    if parsed is None:
        raise OpinionError(_l("Choose agree, disagree or pass."))
    return parsed


def _upsert_votes(member_id: int, values: dict[int, int]) -> None:
    """Insert or change votes in one statement; the primary key keeps one vote per member and
    statement even under concurrent requests (no read-then-write)."""
    if not values:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    statement = insert(CollaborationVote).values([
        {"statement_id": sid, "member_id": member_id, "value": value, "created_at": now}
        for sid, value in sorted(values.items())])
    # created_at becomes the time of the latest vote: the map's cache key notices changed votes.
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["statement_id", "member_id"],
        set_={"value": statement.excluded.value, "created_at": statement.excluded.created_at}))


def vote(question: CollaborationOpinionQuestion, statement: CollaborationStatement, member, value) -> str:
    """Record or change the member's vote; returns "new", "changed" or "same"."""
    value = parse_vote(value)
    if not is_open(question):
        raise OpinionError(_l("This question is closed: votes are no longer taken."))
    if statement.question_id != question.id:
        raise OpinionError(_l("This statement belongs to another question."))
    before = db.session.scalar(select(CollaborationVote.value).where(
        CollaborationVote.statement_id == statement.id, CollaborationVote.member_id == member.id))
    _upsert_votes(member.id, {statement.id: value})
    db.session.commit()
    return "new" if before is None else "same" if before == value else "changed"


def vote_many(question: CollaborationOpinionQuestion, member, form: dict) -> int:
    """The list form: fields ``vote-<statement id>`` = 1 / 0 / −1; blank ones are skipped.
    Any unknown statement or value refuses the whole form (nothing is stored)."""
    if not is_open(question):
        raise OpinionError(_l("This question is closed: votes are no longer taken."))
    wanted: dict[int, int] = {}
    for key, raw in form.items():
        if not key.startswith("vote-") or raw in ("", None):
            continue
        ident = key[len("vote-"):]
        if not ident.isdigit():
            raise OpinionError(_l("This statement belongs to another question."))
        wanted[int(ident)] = parse_vote(raw)
    if not wanted:
        raise OpinionError(_l("Choose agree, disagree or pass for at least one statement."))
    known = set(db.session.scalars(select(CollaborationStatement.id).where(
        CollaborationStatement.id.in_(wanted), CollaborationStatement.question_id == question.id, _visible())))
    if set(wanted) - known:
        raise OpinionError(_l("This statement belongs to another question."))
    _upsert_votes(member.id, wanted)
    db.session.commit()
    return len(wanted)


# --- the map -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapStatement:
    text: str
    direction: str  # "agree" or "disagree"
    percent: int  # share of the group (or, for consensus, of the least convinced group)
    other_percent: int | None = None  # share among everyone else (representative statements)
    group_percents: tuple[int, ...] = ()  # consensus: the share in each group


@dataclass(frozen=True)
class MapGroup:
    letter: str
    index: int
    size: int
    percent: int  # of the participants on the map
    x: float
    y: float
    representative: tuple[MapStatement, ...]


@dataclass(frozen=True)
class MapView:
    """What the map page shows, in plain values (safe to keep across requests)."""

    computed_at: datetime
    votes: int
    voters: int
    statements: int
    points: tuple[tuple[float, float, int], ...] = ()  # (x, y, group index or −1) in SVG units
    positions: dict[int, int] = field(default_factory=dict)  # member id → index in points
    groups: tuple[MapGroup, ...] = ()
    consensus: tuple[MapStatement, ...] = ()
    explained: tuple[int, int] = (0, 0)  # percent of the variance along each axis
    size: int = 400  # SVG viewBox side

    @property
    def empty(self) -> bool:
        return not self.points


@dataclass
class _Cached:
    statements_key: tuple  # visible statements when computed (count, sum of ids)
    votes_key: tuple  # their votes when computed (count, latest vote time)
    checked: float  # time.monotonic() when the votes were last compared
    view: MapView


_cache: OrderedDict[int, _Cached] = OrderedDict()
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _statements_key(question_id: int) -> tuple:
    """Changes when a statement is added, hidden or restored (one small query)."""
    count, id_sum = db.session.execute(
        select(func.count(), func.coalesce(func.sum(CollaborationStatement.id), 0)).where(
            CollaborationStatement.question_id == question_id, _visible())).one()
    return int(count), int(id_sum)


def _votes_key(question_id: int) -> tuple:
    """Changes when a vote is cast or changed (a changed vote gets a new time). It reads every
    vote row of the question (tens of ms at 100,000 votes), hence at most once per refresh."""
    visible = select(CollaborationStatement.id).where(
        CollaborationStatement.question_id == question_id, _visible()).scalar_subquery()
    count, latest = db.session.execute(select(func.count(), func.max(CollaborationVote.created_at)).where(
        CollaborationVote.statement_id.in_(visible))).one()
    return int(count), latest


def opinion_map_view(question: CollaborationOpinionQuestion) -> MapView:
    """The question's map, computed only when its statements or votes changed. A new, hidden or
    restored statement recomputes it at once; votes are compared at most every
    MAP_REFRESH_SECONDS, so a busy question is recomputed at most that often."""
    statements_key = _statements_key(question.id)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(question.id)
        if cached is not None:
            _cache.move_to_end(question.id)
            if cached.statements_key == statements_key and now - cached.checked < MAP_REFRESH_SECONDS:
                return cached.view
    votes_key = _votes_key(question.id)
    if cached is not None and (cached.statements_key, cached.votes_key) == (statements_key, votes_key):
        with _lock:
            cached.checked = now
        return cached.view
    view = compute_view(question.id)
    with _lock:
        _cache[question.id] = _Cached(statements_key, votes_key, now, view)
        _cache.move_to_end(question.id)
        while len(_cache) > MAP_CACHE_SIZE:
            _cache.popitem(last=False)
    return view


def compute_view(question_id: int, params: MapParams = MAP_PARAMS) -> MapView:
    """Read the visible statements and their votes, run the grouping, keep what pages show."""
    texts = dict(db.session.execute(select(CollaborationStatement.id, CollaborationStatement.text).where(
        CollaborationStatement.question_id == question_id, _visible())).all())
    triples = np.zeros((0, 3), dtype=np.int64)
    if texts:
        votes = CollaborationVote.__table__
        result = db.session.execute(select(votes.c.member_id, votes.c.statement_id, votes.c.value)
                                    .where(votes.c.statement_id.in_(list(texts))))
        # Straight from the rows into numpy: keeping 100,000 Row objects first costs seconds.
        triples = np.fromiter(chain.from_iterable(result), dtype=np.int64).reshape(-1, 3)
    matrix, members, statement_ids = vote_matrix(triples)
    params = replace(params, min_group_size=max(params.min_group_size, PRIVACY_FLOOR),
                     min_group_votes=max(params.min_group_votes, PRIVACY_FLOOR))
    result = compute_map(matrix, params)
    base = {"computed_at": utcnow(), "votes": int(triples.shape[0]), "voters": int(members.size),
            "statements": len(texts)}
    if result.empty:
        return MapView(**base)
    return MapView(**base, **_drawing(result, members, statement_ids, texts))


def _drawing(result: OpinionMap, members: np.ndarray, statement_ids: np.ndarray, texts: dict) -> dict:
    """SVG coordinates (same scale on both axes, centred, y upwards) and the groups' statements."""
    size, margin = 400, 24
    span = float(np.abs(result.points).max()) or 1.0
    scale = (size / 2 - margin) / span
    xy = np.column_stack((size / 2 + result.points[:, 0] * scale, size / 2 - result.points[:, 1] * scale))
    # Privacy: a group below the floor never shows (compute_map already refuses such groupings).
    shown = {g.index for g in result.groups if g.size >= PRIVACY_FLOOR}
    points = tuple((round(float(x), 1), round(float(y), 1), int(label) if int(label) in shown else -1)
                   for (x, y), label in zip(xy, result.labels, strict=True))
    total = int(result.participants.size)

    def statement(score, with_others: bool) -> MapStatement:
        return MapStatement(texts[int(statement_ids[score.statement])], score.direction, round(100 * score.share),
                            round(100 * score.other_share) if with_others and score.other_share is not None else None,
                            tuple(round(100 * s) for s in score.shares))

    groups = tuple(MapGroup(g.letter, g.index, g.size, round(100 * g.size / total),
                            round(size / 2 + g.centre[0] * scale, 1), round(size / 2 - g.centre[1] * scale, 1),
                            tuple(statement(r, True) for r in g.representative))
                   for g in result.groups if g.index in shown)
    consensus = tuple(statement(c, False) for c in result.consensus) if len(groups) >= 2 else ()
    return {"points": points, "positions": {int(members[row]): i for i, row in enumerate(result.participants)},
            "groups": groups, "consensus": consensus,
            "explained": (round(100 * result.explained[0]), round(100 * result.explained[1])), "size": size}


# --- moderation, export ----------------------------------------------------------------------------


def statement_ref(ident: str, viewer=None):
    """(statement, question) for the content kind loader; None when missing or, when a viewer is
    given, when they may not see the question's group (the report page must not leak it)."""
    statement = db.session.get(CollaborationStatement, int(ident)) if str(ident).isdigit() else None
    if statement is None:
        return None
    question = db.session.get(CollaborationOpinionQuestion, statement.question_id)
    if viewer is not None and not can_see_group_content(viewer, question.group_id):
        return None
    return statement, question


def forget_member(member_id: int) -> None:
    """On erasure: the member's statements lose their author; their votes stay with the anonymous
    placeholder row (they name nobody and keep the maps' shape). The caller commits."""
    db.session.execute(update(CollaborationStatement).where(CollaborationStatement.author_id == member_id)
                       .values(author_id=None))


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def export_data(member) -> dict:
    """The member's questions, statements (with whether a moderator hid them) and votes."""
    questions = db.session.scalars(select(CollaborationOpinionQuestion).where(
        CollaborationOpinionQuestion.author_id == member.id).order_by(CollaborationOpinionQuestion.id))
    statements = db.session.execute(
        select(CollaborationStatement, CollaborationOpinionQuestion.title, HiddenContent.content_id)
        .join(CollaborationOpinionQuestion, CollaborationOpinionQuestion.id == CollaborationStatement.question_id)
        .outerjoin(HiddenContent, (HiddenContent.content_type == STATEMENT_KIND)
                   & (HiddenContent.content_id == cast(CollaborationStatement.id, String)))
        .where(CollaborationStatement.author_id == member.id).order_by(CollaborationStatement.id)).all()
    votes = db.session.execute(
        select(CollaborationVote.value, CollaborationVote.created_at, CollaborationStatement.text,
               CollaborationOpinionQuestion.title)
        .join(CollaborationStatement, CollaborationStatement.id == CollaborationVote.statement_id)
        .join(CollaborationOpinionQuestion, CollaborationOpinionQuestion.id == CollaborationStatement.question_id)
        .where(CollaborationVote.member_id == member.id).order_by(CollaborationVote.statement_id)).all()
    return {
        "questions": [{"id": q.id, "title": q.title, "description": q.description, "created_at": _iso(q.created_at),
                       "closed_at": _iso(q.closed_at)} for q in questions],
        "statements": [{"question": title, "text": s.text, "created_at": _iso(s.created_at),
                        "hidden_by_moderator": hidden is not None} for s, title, hidden in statements],
        "votes": [{"question": title, "statement": text, "vote": VOTE_NAMES[value], "at": _iso(at)}
                  for value, at, text, title in votes],
    }


# --- demo --------------------------------------------------------------------------------------------

DEMO_QUESTION = ("Transports : que faire en priorité dans nos villes et nos campagnes ?",
                 "Proposez des affirmations courtes et votez sur celles des autres : d'accord, pas d'accord "
                 "ou je passe. La carte montre les grandes familles d'opinion et ce qui nous rassemble.")
# Three camps, each with the statements it agrees with; the others mostly disagree with them.
DEMO_CAMPS = (
    ("Fermer les centres-villes aux voitures individuelles d'ici 2030.",
     "Transformer une voie sur deux des grands axes en piste cyclable.",
     "Taxer fortement les SUV à l'achat et au stationnement.",
     "Interdire les vols intérieurs quand le train fait le trajet en moins de quatre heures.",
     "Supprimer les places de stationnement en surface au profit des arbres et des terrasses.",
     "Limiter la vitesse à 30 km/h dans toute l'agglomération.",
     "Arrêter tout nouveau projet routier ou autoroutier.",
     "Réserver l'argent public aux mobilités sans moteur thermique."),
    ("Rendre les transports en commun gratuits pour toutes et tous.",
     "Financer la gratuité par une taxe sur les grandes entreprises.",
     "Doubler les fréquences des bus dans les quartiers populaires, le soir et le week-end.",
     "Embaucher des agents dans chaque station plutôt que des automates.",
     "Créer un tarif social unique pour tout le réseau régional.",
     "Remettre les transports publics en régie, hors des mains des opérateurs privés.",
     "Garantir une gare ou un arrêt desservi à moins de dix minutes à pied de chaque logement social.",
     "Baisser le prix des abonnements avant d'investir dans de nouvelles lignes."),
    ("La voiture reste indispensable à la campagne : arrêtons de culpabiliser ceux qui la prennent.",
     "Baisser les taxes sur le carburant pour ceux qui roulent pour travailler.",
     "Rouvrir les petites lignes de train avant de construire des pistes cyclables en ville.",
     "Aider à l'achat de voitures d'occasion propres plutôt que d'interdire les anciennes.",
     "Laisser les communes rurales décider seules de leurs limitations de vitesse.",
     "Supprimer les zones à faibles émissions qui excluent les ménages modestes.",
     "Entretenir les routes départementales en priorité."),
)
DEMO_CONSENSUS = (
    "Associer les habitants à chaque grand projet de transport, avant la décision.",
    "Rendre toutes les gares et tous les arrêts accessibles aux personnes handicapées.",
    "Sécuriser les trajets à pied et à vélo autour des écoles.",
    "Publier chaque année les comptes et la ponctualité de chaque ligne.",
    "Développer le covoiturage organisé entre communes voisines.",
    "Mieux coordonner les horaires des trains, des cars et des bus.",
    "Prévoir un service de transport la nuit pour les travailleurs en horaires décalés.",
)


def seed_demo(ctx) -> None:
    """One movement-wide question, 30 statements and votes from many demo members in three camps
    (plus noise and missing votes), so that the demo map shows three groups; bulk inserts."""
    from community.demo import reset_sequence

    rng = ctx.rng
    question_id = (db.session.scalar(select(func.max(CollaborationOpinionQuestion.id))) or 0) + 1
    first_statement = (db.session.scalar(select(func.max(CollaborationStatement.id))) or 0) + 1
    author = ctx.organiser_ids[0] if ctx.organiser_ids else ctx.admin_id
    asked = ctx.now - timedelta(days=12)
    people = [m for m in ctx.member_ids if m != author]
    count = min(len(people), max(30, min(400, int(round(120 * ctx.scale)))))
    participants = sorted(rng.sample(people, count))
    camp_of = {m: rng.randrange(len(DEMO_CAMPS)) for m in participants}
    by_camp = {c: [m for m in participants if camp_of[m] == c] or participants for c in range(len(DEMO_CAMPS))}
    db.session.execute(CollaborationOpinionQuestion.__table__.insert(), [{
        "id": question_id, "group_id": None, "author_id": author, "title": DEMO_QUESTION[0],
        "description": DEMO_QUESTION[1], "created_at": asked, "closed_at": None}])
    ctx.activity(author, "collaboration.opinion_question", "collaboration.opinion", question_id, asked,
                 data={"endpoint": "collaboration.opinion", "args": {"question_id": question_id},
                       "title": DEMO_QUESTION[0]})
    statements = [(text, camp) for camp, texts in enumerate(DEMO_CAMPS) for text in texts]
    statements += [(text, None) for text in DEMO_CONSENSUS]
    rng.shuffle(statements)
    rows, votes, authors = [], {}, {}
    for offset, (text, camp) in enumerate(statements):
        sid = first_statement + offset
        writer = rng.choice(by_camp[camp] if camp is not None else participants)
        at = asked + timedelta(hours=2 + offset * 7, minutes=rng.randint(0, 59))
        rows.append({"id": sid, "question_id": question_id, "author_id": writer, "text": text, "created_at": at})
        authors[sid] = (writer, at)
        ctx.activity(None, "collaboration.statement", STATEMENT_KIND, sid, at,
                     data={"endpoint": "collaboration.opinion", "args": {"question_id": question_id},
                           "title": DEMO_QUESTION[0], "text": text})
    for member in participants:
        coverage = rng.uniform(0.5, 0.95)  # the share of statements this member voted on
        for offset, (_text, camp) in enumerate(statements):
            sid = first_statement + offset
            if authors[sid][0] == member:
                value = 1  # an author agrees with their own statement
            elif rng.random() > coverage:
                continue
            else:
                agree, disagree = (0.85, 0.05) if camp is None or camp == camp_of[member] else (0.12, 0.7)
                r = rng.random()
                value = 1 if r < agree else -1 if r < agree + disagree else 0
            votes[(sid, member)] = {"statement_id": sid, "member_id": member, "value": value,
                                    "created_at": min(authors[sid][1] + timedelta(hours=rng.randint(1, 200)),
                                                      ctx.now - timedelta(minutes=rng.randint(1, 600)))}
    ctx.bulk(CollaborationStatement, rows)
    ctx.bulk(CollaborationVote, list(votes.values()))
    reset_sequence("collaboration_opinion_question")
    reset_sequence("collaboration_statement")
