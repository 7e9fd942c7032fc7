"""Putting members in touch, as plain functions: suggestions ("people to meet"), introductions,
blocks, hidden suggestions and the skill search.

Privacy (ARCHITECTURE §5): only members listed in the directory, neither suspended nor erased,
are ever suggested or found; a block, either way, keeps two members out of each other's
suggestions, searches and introductions.

Speed: suggestions never look at the whole membership. Candidates come from indexes, each
source with its own limit (members sharing one of your tags, your commune, your area, your
groups, who voted as you did in the opinion maps, whom your contacts follow); their union is
capped, and only those are scored
(docs/collaboration.md, "People to meet").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import selectinload

from community.activity import publish
from community.extensions import db
from community.members.service import follow
from community.models import Follow, Member, MemberTag
from community.timeutil import utcnow

from . import matching
from .models import (
    CollaborationBlock,
    CollaborationGroup,
    CollaborationHiddenSuggestion,
    CollaborationIntroduction,
    CollaborationMembership,
)

MAX_MESSAGE = 500
SEARCH_PAGE = 30
SUGGESTIONS = 10  # shown on the page; the home widget shows 3
# Candidate generation (each a LIMIT on an indexed query, so the work does not grow with the membership)
MAX_OWN_TAGS = 8  # of your tags, the first 8 (interests first) bring candidates
PER_TAG = 60  # members sharing one tag
PER_PLACE = 80  # members of your commune (newest first), and as many of your area
MAX_OWN_GROUPS = 10
PER_GROUP = 40  # co-members of one group
FOLLOWED_WALKED = 50  # members you follow whose own follows are walked (friends of friends)…
PER_FRIENDS = 100  # …bringing at most this many candidates
VOTES_WALKED = 20  # your most recent opinion votes whose like-minded voters are candidates…
PER_VOTES = 60  # …at most this many
CANDIDATE_CAP = 300  # candidates scored at most
MAX_OWN_VOTES = 100  # your most recent opinion votes compared with the candidates'

DEFAULT_RETRY_DAYS = 30  # setting people_retry_days: after a decline, the same request waits this long


class IntroductionError(Exception):
    """A refused introduction or decision; the message is for the member (translated)."""


# --- who may appear to whom --------------------------------------------------------------

def _listed(member_col):
    """Members the directory may show: opted in, neither suspended nor erased."""
    return and_(member_col.in_directory.is_(True), member_col.suspended_at.is_(None), member_col.erased_at.is_(None))


def _not_blocked(viewer_id: int, other_col):
    """Neither has blocked the other (two primary-key lookups per row)."""
    return and_(
        ~exists().where(CollaborationBlock.member_id == viewer_id, CollaborationBlock.blocked_id == other_col),
        ~exists().where(CollaborationBlock.member_id == other_col, CollaborationBlock.blocked_id == viewer_id),
    )


def is_blocked(a_id: int, b_id: int) -> bool:
    """True when either member blocked the other."""
    return db.session.scalar(select(func.count()).select_from(CollaborationBlock).where(or_(
        and_(CollaborationBlock.member_id == a_id, CollaborationBlock.blocked_id == b_id),
        and_(CollaborationBlock.member_id == b_id, CollaborationBlock.blocked_id == a_id)))) > 0


def has_blocked(member_id: int, other_id: int) -> bool:
    return db.session.get(CollaborationBlock, (member_id, other_id)) is not None


# --- suggestions -------------------------------------------------------------------------
#
# The suggestion queries are written in SQL text: they run on every home page, and building
# the equivalent SQLAlchemy expressions cost several times more than running them. The SQL is
# plain (subqueries, UNION ALL, LIMIT, EXISTS) and runs on SQLite and PostgreSQL alike.

# The candidate ``m`` (a member row) may be suggested to :me: listed, active, not :me, not
# followed by :me, not hidden by :me, no block either way. Each check is a primary-key lookup.
_SUGGESTIBLE = """m.in_directory = :yes AND m.suspended_at IS NULL AND m.erased_at IS NULL AND m.id <> :me
 AND NOT EXISTS (SELECT 1 FROM follow x WHERE x.follower_id = :me AND x.followed_id = m.id)
 AND NOT EXISTS (SELECT 1 FROM collaboration_hidden_suggestion h WHERE h.member_id = :me AND h.hidden_id = m.id)
 AND NOT EXISTS (SELECT 1 FROM collaboration_block b WHERE b.member_id = :me AND b.blocked_id = m.id)
 AND NOT EXISTS (SELECT 1 FROM collaboration_block b WHERE b.member_id = m.id AND b.blocked_id = :me)"""

# One arm per source; each reads at most its LIMIT of eligible rows through an index.
_TAG_ARM = f"""SELECT m.id, m.commune, m.postal_code FROM member_tag t JOIN member m ON m.id = t.member_id
 WHERE t.kind = :kind{{n}} AND t.name = :name{{n}} AND {_SUGGESTIBLE} LIMIT {PER_TAG}"""
# Newest first: SQLite's commune index holds the id, so this reads PER_PLACE entries, not the
# commune (PostgreSQL sorts the commune's rows: an index on (commune, id) would spare it).
_COMMUNE_ARM = f"""SELECT m.id, m.commune, m.postal_code FROM member m WHERE m.commune = :commune AND {_SUGGESTIBLE}
 ORDER BY m.id DESC LIMIT {PER_PLACE}"""
# A range on the postal-code index ("69" <= code < "70"), the prefix search any index can serve.
_AREA_ARM = f"""SELECT m.id, m.commune, m.postal_code FROM member m
 WHERE m.postal_code >= :area_low AND m.postal_code < :area_high AND {_SUGGESTIBLE} LIMIT {PER_PLACE}"""
_GROUP_ARM = f"""SELECT m.id, m.commune, m.postal_code
 FROM collaboration_membership g JOIN member m ON m.id = g.member_id
 WHERE g.group_id = :group{{n}} AND g.status = 'active' AND {_SUGGESTIBLE} LIMIT {PER_GROUP}"""
# Members who voted as :me did (agree with agree, disagree with disagree) on :me's latest statements:
# the opinion maps bring people together even with nothing else in common.
_VOTES_ARM = f"""SELECT m.id, m.commune, m.postal_code FROM member m
 WHERE m.id IN (SELECT v.member_id
                FROM (SELECT statement_id, value FROM collaboration_vote WHERE member_id = :me AND value <> 0
                      ORDER BY created_at DESC LIMIT {VOTES_WALKED}) r
                JOIN collaboration_vote v ON v.statement_id = r.statement_id AND v.value = r.value
                LIMIT {4 * PER_VOTES})
 AND {_SUGGESTIBLE} LIMIT {PER_VOTES}"""
# Friends of friends: whom the members :me follows follow.
_FRIENDS_ARM = f"""SELECT DISTINCT m.id, m.commune, m.postal_code FROM follow f JOIN member m ON m.id = f.followed_id
 WHERE f.follower_id IN (SELECT y.followed_id FROM follow y WHERE y.follower_id = :me LIMIT {FOLLOWED_WALKED})
 AND {_SUGGESTIBLE} LIMIT {PER_FRIENDS}"""

# The queries below take the candidates' and the member's ids written into the SQL by
# ``_id_list``, which accepts integers only: binding 300 values one by one, and parsing the
# statement for them, cost more than running it. Those holding nothing else go straight to the
# database driver. TRUE is SQL (SQLite ≥ 3.23 and PostgreSQL).
# Without a condition on kind, only the primary key (member_id, kind, name) can serve this one.
_SHARED_TAGS = "SELECT member_id, kind, name FROM member_tag WHERE member_id IN ({ids}) AND name IN :names"
_SHARED_GROUPS = """SELECT member_id, group_id FROM collaboration_membership
 WHERE group_id IN ({groups}) AND member_id IN ({ids}) AND status = 'active'"""
# Agreement on the statements both voted on (agree or disagree), over {me}'s latest votes.
_AGREEMENTS = f"""SELECT v.member_id, count(*), sum(CASE WHEN v.value = r.value THEN 1 ELSE 0 END)
 FROM (SELECT statement_id, value FROM collaboration_vote WHERE member_id = {{me}} AND value <> 0
       ORDER BY created_at DESC LIMIT {MAX_OWN_VOTES}) r
 JOIN collaboration_vote v ON v.statement_id = r.statement_id
 WHERE v.member_id IN ({{ids}}) AND v.value <> 0 GROUP BY v.member_id"""
# Contacts in common: listed members {me} follows (others' follows are private) who follow the candidate.
_CONTACTS = f"""SELECT f.followed_id, count(*) FROM follow f
 WHERE f.follower_id IN (SELECT y.followed_id FROM follow y JOIN member c ON c.id = y.followed_id
                         WHERE y.follower_id = {{me}} AND c.in_directory = TRUE AND c.suspended_at IS NULL
                         AND c.erased_at IS NULL LIMIT {FOLLOWED_WALKED})
 AND f.followed_id IN ({{ids}}) GROUP BY f.followed_id"""


def _id_list(ids) -> str:
    """"3,17,42" for SQL: integers only (anything else raises), never text from a request."""
    return ",".join(str(int(i)) for i in ids)


def _int_rows(sql: str) -> list:
    """Rows of a statement holding no parameter (only integers from ``_id_list``), via the driver."""
    return db.session.connection().exec_driver_sql(sql).all()


@lru_cache(maxsize=512)
def _union_statement(sql: str):
    """The candidates' statement, parsed once per shape (which sources a member has)."""
    return text(sql)


@dataclass
class Suggestion:
    member: Member
    score: float
    reasons: tuple[matching.Reason, ...]

    @property
    def reason_text(self) -> str:
        """The reasons in words, in the language of the page being rendered."""
        return matching.reason_text(self.reasons)


def _own_groups(member_id: int) -> dict[int, str]:
    """The member's active groups that are not archived: id → name."""
    rows = db.session.execute(
        select(CollaborationGroup.id, CollaborationGroup.name)
        .join(CollaborationMembership, CollaborationMembership.group_id == CollaborationGroup.id)
        .where(CollaborationMembership.member_id == member_id, CollaborationMembership.status == "active",
               CollaborationGroup.archived_at.is_(None))
    ).all()
    return dict(rows)


def own_profile(member: Member) -> tuple[matching.Profile, dict[int, str]]:
    """The member's profile for the score, and their groups' names (for the reasons)."""
    tags = db.session.execute(select(MemberTag.kind, MemberTag.name).where(MemberTag.member_id == member.id)).all()
    groups = _own_groups(member.id)
    profile = matching.Profile(
        id=member.id, interests=frozenset(n for k, n in tags if k == "interest"),
        skills=frozenset(n for k, n in tags if k == "skill"), commune=member.commune or "",
        postal_code=member.postal_code or "", groups=frozenset(groups))
    return profile, groups


def candidates(me: matching.Profile) -> dict[int, tuple[str, str]]:
    """Members worth scoring for ``me`` (id → their commune and postal code), from indexed
    sources each with a limit, in one SQL statement; at most CANDIDATE_CAP, those found by
    several sources first."""
    arms, params = [], {"me": me.id, "yes": True}
    tags = [("interest", n) for n in sorted(me.interests)] + [("skill", n) for n in sorted(me.skills)]
    for n, (kind, name) in enumerate(tags[:MAX_OWN_TAGS]):
        arms.append(_TAG_ARM.format(n=n))
        params.update({f"kind{n}": kind, f"name{n}": name})
    if me.commune:
        arms.append(_COMMUNE_ARM)
        params["commune"] = me.commune
    area = matching.area_of(me.postal_code)
    if area:
        arms.append(_AREA_ARM)
        # Digits only on both bounds ("69" <= code < "70"): they sort the same under every collation.
        params.update(area_low=area, area_high=f"{int(area) + 1:02d}" if area != "99" else "9" * 11)
    for n, group_id in enumerate(sorted(me.groups)[:MAX_OWN_GROUPS]):
        arms.append(_GROUP_ARM.format(n=n))
        params[f"group{n}"] = group_id
    arms += [_VOTES_ARM, _FRIENDS_ARM]
    # Each arm in its own subquery, so that its ORDER BY and LIMIT apply to it alone; then the
    # members found by more sources first (newest first among equals), capped.
    union = "\nUNION ALL\n".join(f"SELECT * FROM ({arm}) a{n}" for n, arm in enumerate(arms))
    sql = (f"SELECT id, commune, postal_code FROM ({union}) found GROUP BY id, commune, postal_code"
           f" ORDER BY count(*) DESC, id DESC LIMIT {CANDIDATE_CAP}")
    return {member_id: (commune or "", postal_code or "")
            for member_id, commune, postal_code in db.session.execute(_union_statement(sql), params)}


def _profiles(found: dict[int, tuple[str, str]], me: matching.Profile) -> list[matching.Profile]:
    """Profiles of the candidates holding only what they share with ``me`` (all the score needs)."""
    ids = _id_list(found)
    shared: dict[int, dict[str, set[str]]] = {}
    if me.interests or me.skills:
        mine = {"interest": me.interests, "skill": me.skills}
        statement = text(_SHARED_TAGS.format(ids=ids)).bindparams(bindparam("names", expanding=True))
        for member_id, kind, name in db.session.execute(statement, {"names": sorted(me.interests | me.skills)}):
            if name in mine.get(kind, ()):
                shared.setdefault(member_id, {}).setdefault(kind, set()).add(name)
    groups: dict[int, set[int]] = {}
    if me.groups:
        for member_id, group_id in _int_rows(_SHARED_GROUPS.format(ids=ids, groups=_id_list(me.groups))):
            groups.setdefault(member_id, set()).add(group_id)
    nothing: frozenset = frozenset()
    no_tags: dict[str, set[str]] = {}
    profiles = []
    for member_id, (commune, postal_code) in found.items():
        tags = shared.get(member_id, no_tags)
        profiles.append(matching.Profile(member_id, tags.get("interest", nothing), tags.get("skill", nothing),
                                         commune, postal_code, groups.get(member_id, nothing)))
    return profiles


def agreements(member_id: int, ids: list[int]) -> dict[int, matching.Agreement]:
    """Agreement with each of ``ids`` on the statements both voted on (agree or disagree), over
    the member's most recent votes; empty when nobody voted (or the opinion maps are unused)."""
    if not ids:
        return {}
    return {m: matching.Agreement(overlap=int(n), agreed=int(a or 0))
            for m, n, a in _int_rows(_AGREEMENTS.format(ids=_id_list(ids), me=int(member_id)))}


def contacts_in_common(member_id: int, ids: list[int]) -> dict[int, int]:
    """For each of ``ids``: how many members ``member_id`` follows (listed ones only: others'
    follows are private) follow them. Walks at most FOLLOWED_WALKED of the member's follows."""
    if not ids:
        return {}
    return {m: int(n) for m, n in _int_rows(_CONTACTS.format(ids=_id_list(ids), me=int(member_id)))}


def suggestions(member: Member, limit: int = SUGGESTIONS,
                weights: matching.Weights = matching.DEFAULT_WEIGHTS) -> list[Suggestion]:
    """People ``member`` may like to meet, best first, each with its reasons (read-only)."""
    me, group_names = own_profile(member)
    found = candidates(me)
    if not found:
        return []
    profiles = _profiles(found, me)
    contacts = contacts_in_common(member.id, list(found))
    # Votes are compared only with the candidates who could still make the list: the others,
    # even in full agreement, stay below the limit-th best score without opinions. Exact, and
    # the costliest query shrinks.
    base = {p.id: matching.points(me, p, contacts=contacts.get(p.id, 0), weights=weights) for p in profiles}
    ordered = sorted(base.values(), reverse=True)
    threshold = ordered[limit - 1] if len(ordered) >= limit else 0.0
    could = [member_id for member_id, points in base.items() if points + weights.opinion >= threshold]
    ranked = matching.rank(me, profiles, agreements=agreements(member.id, could), contacts=contacts,
                           group_names=group_names, limit=limit, weights=weights)
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_([s.member_id for s in ranked])))}
    return [Suggestion(members[s.member_id], s.score, s.reasons) for s in ranked if s.member_id in members]


def hide_suggestion(member: Member, other: Member) -> bool:
    """Stop suggesting ``other`` to ``member``; True if it was not hidden yet."""
    if other.id == member.id or db.session.get(CollaborationHiddenSuggestion, (member.id, other.id)):
        return False
    db.session.add(CollaborationHiddenSuggestion(member_id=member.id, hidden_id=other.id))
    db.session.commit()
    return True


def unhide_suggestion(member: Member, other: Member) -> bool:
    row = db.session.get(CollaborationHiddenSuggestion, (member.id, other.id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def hidden_members(member: Member) -> list[Member]:
    return list(db.session.scalars(
        select(Member).join(CollaborationHiddenSuggestion, CollaborationHiddenSuggestion.hidden_id == Member.id)
        .where(CollaborationHiddenSuggestion.member_id == member.id, Member.erased_at.is_(None))
        .order_by(Member.display_name, Member.id)))


# --- blocks ------------------------------------------------------------------------------

def block(member: Member, other: Member) -> bool:
    """``member`` blocks ``other``: no suggestion, search result or introduction between them
    any more; a pending introduction between them is closed (declined, nobody notified).
    Follows are left as they are (unfollowing is the profile's business). True if new."""
    if other.id == member.id or has_blocked(member.id, other.id):
        return False
    db.session.add(CollaborationBlock(member_id=member.id, blocked_id=other.id))
    db.session.execute(
        update(CollaborationIntroduction)
        .where(CollaborationIntroduction.status == "pending",
               or_(and_(CollaborationIntroduction.from_id == member.id, CollaborationIntroduction.to_id == other.id),
                   and_(CollaborationIntroduction.from_id == other.id, CollaborationIntroduction.to_id == member.id)))
        .values(status="declined", decided_at=utcnow()))
    db.session.commit()
    return True


def unblock(member: Member, other: Member) -> bool:
    row = db.session.get(CollaborationBlock, (member.id, other.id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def blocked_members(member: Member) -> list[Member]:
    """Whom ``member`` blocked (never whom blocked them: that stays private)."""
    return list(db.session.scalars(
        select(Member).join(CollaborationBlock, CollaborationBlock.blocked_id == Member.id)
        .where(CollaborationBlock.member_id == member.id, Member.erased_at.is_(None))
        .order_by(Member.display_name, Member.id)))


# --- introductions -----------------------------------------------------------------------

def _retry_days() -> int:
    from community.settings import module_setting

    try:
        return int(module_setting("collaboration", "people_retry_days"))
    except (KeyError, TypeError, ValueError):
        return DEFAULT_RETRY_DAYS


def _follows(follower_id: int, followed_id: int) -> bool:
    return db.session.get(Follow, (follower_id, followed_id)) is not None


def _pending(from_id: int, to_id: int) -> CollaborationIntroduction | None:
    return db.session.scalar(select(CollaborationIntroduction).where(
        CollaborationIntroduction.from_id == from_id, CollaborationIntroduction.to_id == to_id,
        CollaborationIntroduction.status == "pending").limit(1))


def introduction_problem(sender: Member, recipient: Member) -> str | None:
    """Why ``sender`` may not ask to be put in touch with ``recipient`` now, in words; None if
    they may. Read-only, so the form page can say it before anything is typed.

    Rule for members not in the directory: they receive requests only from members they
    follow (having followed you, they are not strangers to you)."""
    if sender.id == recipient.id:
        return _("You cannot ask to be put in touch with yourself.")
    if has_blocked(sender.id, recipient.id):
        return _("You blocked %(name)s: unblock them first to ask for an introduction.", name=recipient.display_name)
    # Whether the other blocked you, is not listed or is suspended stays private: one message for all.
    if (has_blocked(recipient.id, sender.id) or not recipient.is_active
            or not (recipient.in_directory or _follows(recipient.id, sender.id))):
        return _("You cannot ask to be put in touch with this member.")
    if _follows(sender.id, recipient.id) and _follows(recipient.id, sender.id):
        return _("You are already in touch with %(name)s.", name=recipient.display_name)
    if _pending(sender.id, recipient.id):
        return _("You already asked to be put in touch with %(name)s: wait for their answer.",
                 name=recipient.display_name)
    if _pending(recipient.id, sender.id):
        return _("%(name)s already asked to be put in touch with you: answer their request in your introductions.",
                 name=recipient.display_name)
    since = utcnow() - timedelta(days=_retry_days())
    declined = db.session.scalar(select(func.count()).select_from(CollaborationIntroduction).where(
        CollaborationIntroduction.from_id == sender.id, CollaborationIntroduction.to_id == recipient.id,
        CollaborationIntroduction.status == "declined", CollaborationIntroduction.decided_at >= since))
    if declined:
        return _("%(name)s declined your last request: you can ask again %(days)d days after it.",
                 name=recipient.display_name, days=_retry_days())
    return None


def request_introduction(sender: Member, recipient: Member, message: str = "") -> CollaborationIntroduction:
    """Ask to be put in touch; notifies the recipient. Raises IntroductionError, creating nothing."""
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise IntroductionError(_("Your message is too long: at most %(max)d characters.", max=MAX_MESSAGE))
    problem = introduction_problem(sender, recipient)
    if problem:
        raise IntroductionError(problem)
    introduction = CollaborationIntroduction(from_id=sender.id, to_id=recipient.id, message=message)
    db.session.add(introduction)
    db.session.flush()
    publish(sender, "collaboration.introduction_requested", introduction, audience=f"member:{recipient.id}",
            notify=[recipient.id], data={"endpoint": "collaboration.people_introductions"})
    return introduction


def get_received(introduction_id: int, member: Member) -> CollaborationIntroduction | None:
    """An introduction addressed to ``member`` (None for anybody else's: a 404 for the view)."""
    introduction = db.session.get(CollaborationIntroduction, introduction_id)
    if introduction is None or introduction.to_id != member.id:
        return None
    return introduction


def _claim(introduction: CollaborationIntroduction, member: Member, status: str) -> None:
    """Move a pending introduction to ``status`` atomically: of two clicks, one wins."""
    result = db.session.execute(
        update(CollaborationIntroduction)
        .where(CollaborationIntroduction.id == introduction.id, CollaborationIntroduction.to_id == member.id,
               CollaborationIntroduction.status == "pending")
        .values(status=status, decided_at=utcnow()))
    if result.rowcount != 1:
        db.session.rollback()
        raise IntroductionError(_("This request was already answered."))


def accept(introduction: CollaborationIntroduction, member: Member) -> None:
    """The recipient accepts: both follow each other and both are notified."""
    sender = introduction.sender
    if introduction.status != "pending":
        raise IntroductionError(_("This request was already answered."))
    if not sender.is_active:
        raise IntroductionError(_("This member can no longer be put in touch."))
    if is_blocked(member.id, sender.id):
        raise IntroductionError(_("You cannot accept a request from a member you blocked."))
    _claim(introduction, member, "accepted")
    db.session.commit()
    # follow() commits on its own and rolls back when the follow already exists, so it runs
    # after the decision is stored, never inside it.
    follow(sender, member)
    follow(member, sender)
    data = {"endpoint": "collaboration.people_introductions"}
    publish(member, "collaboration.introduction_accepted", introduction, audience=f"member:{sender.id}",
            notify=[sender.id], data=data, commit=False)
    publish(sender, "collaboration.introduction_accepted", introduction, audience=f"member:{member.id}",
            notify=[member.id], data=data, commit=False)
    db.session.commit()


def decline(introduction: CollaborationIntroduction, member: Member) -> None:
    """The recipient declines; the sender is told (without any reason)."""
    if introduction.status != "pending":
        raise IntroductionError(_("This request was already answered."))
    _claim(introduction, member, "declined")
    publish(member, "collaboration.introduction_declined", introduction, audience=f"member:{introduction.from_id}",
            notify=[introduction.from_id], data={"endpoint": "collaboration.people_introductions"})


def introductions(member: Member) -> dict[str, list[CollaborationIntroduction]]:
    """The member's introductions: received and pending (to answer), sent, and answered received ones."""
    received = list(db.session.scalars(
        select(CollaborationIntroduction).where(CollaborationIntroduction.to_id == member.id)
        .order_by(CollaborationIntroduction.id.desc()).limit(100)))
    sent = list(db.session.scalars(
        select(CollaborationIntroduction).where(CollaborationIntroduction.from_id == member.id)
        .order_by(CollaborationIntroduction.id.desc()).limit(100)))
    return {"pending": [i for i in received if i.status == "pending" and i.sender.erased_at is None],
            "answered": [i for i in received if i.status != "pending"], "sent": sent}


def pending_counterparts(member: Member) -> dict[int, str]:
    """Members with a pending introduction with ``member``: id → "sent" or "received"."""
    rows = db.session.execute(
        select(CollaborationIntroduction.from_id, CollaborationIntroduction.to_id).where(
            CollaborationIntroduction.status == "pending",
            or_(CollaborationIntroduction.from_id == member.id, CollaborationIntroduction.to_id == member.id))
    ).all()
    return {(t if f == member.id else f): ("sent" if f == member.id else "received") for f, t in rows}


def pending_count(member: Member) -> int:
    return db.session.scalar(select(func.count()).select_from(CollaborationIntroduction).where(
        CollaborationIntroduction.to_id == member.id, CollaborationIntroduction.status == "pending"))


# --- skill search ------------------------------------------------------------------------

def _tag_prefix(kind: str, value: str):
    """Members with a tag of ``kind`` starting with ``value`` ("graph" finds "graphisme")."""
    return exists().where(MemberTag.member_id == Member.id, MemberTag.kind == kind,
                          MemberTag.name.startswith(value, autoescape=True))


def search_people(viewer: Member, *, skill: str = "", interest: str = "", area: str = "",
                  after: str | None = None, limit: int = SEARCH_PAGE) -> list[Member]:
    """Listed members with that skill, interest and area (a commune, or the start of a postal
    code), blocked pairs left out; keyset on the handle. No criterion, no result."""
    skill, interest, area = (v.strip().lower()[:40] for v in (skill, interest, area))
    if not (skill or interest or area):
        return []
    query = (select(Member).options(selectinload(Member.tags))
             .where(_listed(Member), Member.id != viewer.id, _not_blocked(viewer.id, Member.id)))
    if skill:
        query = query.where(_tag_prefix("skill", skill))
    if interest:
        query = query.where(_tag_prefix("interest", interest))
    if area:
        if area.isdigit():
            query = query.where(Member.postal_code.startswith(area, autoescape=True))
        else:
            query = query.where(func.lower(Member.commune) == area)
    if after:
        query = query.where(Member.handle > after)
    return list(db.session.scalars(query.order_by(Member.handle).limit(limit)))


# --- erasure -----------------------------------------------------------------------------

def forget_member(member_id: int) -> None:
    """On erasure: the introductions the member sent or received (their messages are personal
    data, and a request to or from a former member means nothing), and the hidden suggestions
    and blocks by or about them, are deleted. The caller commits."""
    db.session.execute(delete(CollaborationIntroduction).where(or_(
        CollaborationIntroduction.from_id == member_id, CollaborationIntroduction.to_id == member_id)))
    db.session.execute(delete(CollaborationHiddenSuggestion).where(or_(
        CollaborationHiddenSuggestion.member_id == member_id, CollaborationHiddenSuggestion.hidden_id == member_id)))
    db.session.execute(delete(CollaborationBlock).where(or_(
        CollaborationBlock.member_id == member_id, CollaborationBlock.blocked_id == member_id)))


# --- export ------------------------------------------------------------------------------

def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def export_data(member: Member) -> dict:
    """The member's own acts: the requests they sent (with their message), their answers to the
    requests they received (the sender's identity and message are the sender's data, left out),
    whom they hid from their suggestions and whom they blocked."""
    sent = db.session.scalars(select(CollaborationIntroduction).where(CollaborationIntroduction.from_id == member.id)
                              .order_by(CollaborationIntroduction.id))
    received = db.session.scalars(select(CollaborationIntroduction)
                                  .where(CollaborationIntroduction.to_id == member.id)
                                  .order_by(CollaborationIntroduction.id))
    return {
        "introductions_sent": [{"to": i.recipient.handle if i.recipient.erased_at is None else None,
                                "message": i.message, "status": i.status, "at": _iso(i.created_at),
                                "decided_at": _iso(i.decided_at)} for i in sent],
        "introductions_received": [{"status": i.status, "at": _iso(i.created_at), "decided_at": _iso(i.decided_at)}
                                   for i in received],
        "hidden_suggestions": [m.handle for m in hidden_members(member)],
        "blocked": [m.handle for m in blocked_members(member)],
    }
