"""Putting members in touch, as plain functions: suggestions ("people to meet"), introductions,
blocks, hidden suggestions and the skill search.

Privacy (ARCHITECTURE §5): only members listed in the directory, neither suspended nor erased,
are ever suggested or found; a block, either way, keeps two members out of each other's
suggestions, searches and introductions.

Speed: suggestions never look at the whole membership. Candidates come from indexes, each
source with its own limit (members sharing one of your tags, your commune, your area, your
groups, the members your contacts follow); their union is capped, and only those are scored
(docs/collaboration.md, "People to meet").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import aliased, selectinload

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
    CollaborationVote,
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
CANDIDATE_CAP = 300  # candidates scored at most
MAX_OWN_VOTES = 300  # your most recent opinion votes compared with the candidates'

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


def _suggestible(viewer_id: int, other_col):
    """Not the viewer, not followed by them, not hidden by them, no block either way."""
    return and_(
        other_col != viewer_id,
        ~exists().where(Follow.follower_id == viewer_id, Follow.followed_id == other_col),
        ~exists().where(CollaborationHiddenSuggestion.member_id == viewer_id,
                        CollaborationHiddenSuggestion.hidden_id == other_col),
        _not_blocked(viewer_id, other_col),
    )


def is_blocked(a_id: int, b_id: int) -> bool:
    """True when either member blocked the other."""
    return db.session.scalar(select(func.count()).select_from(CollaborationBlock).where(or_(
        and_(CollaborationBlock.member_id == a_id, CollaborationBlock.blocked_id == b_id),
        and_(CollaborationBlock.member_id == b_id, CollaborationBlock.blocked_id == a_id)))) > 0


def has_blocked(member_id: int, other_id: int) -> bool:
    return db.session.get(CollaborationBlock, (member_id, other_id)) is not None


# --- suggestions -------------------------------------------------------------------------

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


def _ids(query) -> list[int]:
    return list(db.session.scalars(query))


def candidates(me: matching.Profile) -> list[int]:
    """Member ids worth scoring for ``me``, from indexed sources each with a limit; at most
    CANDIDATE_CAP, those found by several sources first."""
    sources: list[list[int]] = []
    tags = [("interest", n) for n in sorted(me.interests)] + [("skill", n) for n in sorted(me.skills)]
    for kind, name in tags[:MAX_OWN_TAGS]:
        # Through the (kind, name) index; the Member and exclusion checks are primary-key lookups.
        sources.append(_ids(
            select(MemberTag.member_id).join(Member, Member.id == MemberTag.member_id)
            .where(MemberTag.kind == kind, MemberTag.name == name, _listed(Member), _suggestible(me.id, Member.id))
            .limit(PER_TAG)))
    if me.commune:
        # Newest first: the commune index holds the id, so this reads PER_PLACE entries, not the commune.
        sources.append(_ids(
            select(Member.id).where(Member.commune == me.commune, _listed(Member), _suggestible(me.id, Member.id))
            .order_by(Member.id.desc()).limit(PER_PLACE)))
    area = matching.area_of(me.postal_code)
    if area:
        # A range on the postal-code index ("69" ≤ code < "6:"), the portable form of a prefix search.
        sources.append(_ids(
            select(Member.id).where(Member.postal_code >= area, Member.postal_code < area[0] + chr(ord(area[1]) + 1),
                                    _listed(Member), _suggestible(me.id, Member.id))
            .limit(PER_PLACE)))
    for group_id in sorted(me.groups)[:MAX_OWN_GROUPS]:
        sources.append(_ids(
            select(CollaborationMembership.member_id)
            .join(Member, Member.id == CollaborationMembership.member_id)
            .where(CollaborationMembership.group_id == group_id, CollaborationMembership.status == "active",
                   _listed(Member), _suggestible(me.id, Member.id))
            .limit(PER_GROUP)))
    walked = select(Follow.followed_id).where(Follow.follower_id == me.id).limit(FOLLOWED_WALKED).scalar_subquery()
    sources.append(_ids(
        select(Follow.followed_id).distinct().join(Member, Member.id == Follow.followed_id)
        .where(Follow.follower_id.in_(walked), _listed(Member), _suggestible(me.id, Member.id))
        .limit(PER_FRIENDS)))
    hits: Counter[int] = Counter()
    first_seen: dict[int, int] = {}
    for ids in sources:
        for member_id in ids:
            hits[member_id] += 1
            first_seen.setdefault(member_id, len(first_seen))
    ordered = sorted(hits, key=lambda m: (-hits[m], first_seen[m]))
    return ordered[:CANDIDATE_CAP]


def _profiles(ids: list[int], me: matching.Profile) -> list[matching.Profile]:
    """Profiles of ``ids`` holding only what they share with ``me`` (all the score needs)."""
    members = db.session.execute(select(Member.id, Member.commune, Member.postal_code)
                                 .where(Member.id.in_(ids))).all()
    shared_tags: dict[int, dict[str, set[str]]] = {}
    tag_filters = []
    if me.interests:
        tag_filters.append(and_(MemberTag.kind == "interest", MemberTag.name.in_(sorted(me.interests))))
    if me.skills:
        tag_filters.append(and_(MemberTag.kind == "skill", MemberTag.name.in_(sorted(me.skills))))
    if tag_filters:
        for member_id, kind, name in db.session.execute(
                select(MemberTag.member_id, MemberTag.kind, MemberTag.name)
                .where(MemberTag.member_id.in_(ids), or_(*tag_filters))):
            shared_tags.setdefault(member_id, {}).setdefault(kind, set()).add(name)
    groups: dict[int, set[int]] = {}
    if me.groups:
        for member_id, group_id in db.session.execute(
                select(CollaborationMembership.member_id, CollaborationMembership.group_id)
                .where(CollaborationMembership.group_id.in_(sorted(me.groups)),
                       CollaborationMembership.member_id.in_(ids), CollaborationMembership.status == "active")):
            groups.setdefault(member_id, set()).add(group_id)
    return [matching.Profile(id=m.id, interests=frozenset(shared_tags.get(m.id, {}).get("interest", ())),
                             skills=frozenset(shared_tags.get(m.id, {}).get("skill", ())), commune=m.commune or "",
                             postal_code=m.postal_code or "", groups=frozenset(groups.get(m.id, ())))
            for m in members]


def agreements(member_id: int, ids: list[int]) -> dict[int, matching.Agreement]:
    """Agreement with each of ``ids`` on the statements both voted on (agree or disagree), over
    the member's most recent votes; empty when nobody voted (or the opinion maps are unused)."""
    if not ids:
        return {}
    mine = (select(CollaborationVote.statement_id, CollaborationVote.value)
            .where(CollaborationVote.member_id == member_id, CollaborationVote.value != 0)
            .order_by(CollaborationVote.created_at.desc()).limit(MAX_OWN_VOTES).subquery())
    theirs = aliased(CollaborationVote)
    rows = db.session.execute(
        select(theirs.member_id, func.count(), func.sum(case((theirs.value == mine.c.value, 1), else_=0)))
        .join(mine, mine.c.statement_id == theirs.statement_id)
        .where(theirs.member_id.in_(ids), theirs.value != 0)
        .group_by(theirs.member_id)
    ).all()
    return {m: matching.Agreement(overlap=int(n), agreed=int(a or 0)) for m, n, a in rows}


def contacts_in_common(member_id: int, ids: list[int]) -> dict[int, int]:
    """For each of ``ids``: how many members ``member_id`` follows (listed ones only: others'
    follows are private) follow them. Walks at most FOLLOWED_WALKED of the member's follows."""
    if not ids:
        return {}
    middle = aliased(Member)
    walked = (select(Follow.followed_id).join(middle, middle.id == Follow.followed_id)
              .where(Follow.follower_id == member_id, _listed(middle)).limit(FOLLOWED_WALKED).scalar_subquery())
    second = aliased(Follow)
    rows = db.session.execute(
        select(second.followed_id, func.count())
        .where(second.follower_id.in_(walked), second.followed_id.in_(ids))
        .group_by(second.followed_id)
    ).all()
    return dict(rows)


def suggestions(member: Member, limit: int = SUGGESTIONS,
                weights: matching.Weights = matching.DEFAULT_WEIGHTS) -> list[Suggestion]:
    """People ``member`` may like to meet, best first, each with its reasons (read-only)."""
    me, group_names = own_profile(member)
    ids = candidates(me)
    if not ids:
        return []
    ranked = matching.rank(me, _profiles(ids, me), agreements=agreements(member.id, ids),
                           contacts=contacts_in_common(member.id, ids), group_names=group_names, limit=limit,
                           weights=weights)
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
                          MemberTag.name >= value, MemberTag.name < value + "\uffff")


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
            query = query.where(Member.postal_code >= area, Member.postal_code < area + "\uffff")
        else:
            query = query.where(func.lower(Member.commune) == area)
    if after:
        query = query.where(Member.handle > after)
    return list(db.session.scalars(query.order_by(Member.handle).limit(limit)))


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
