"""Announcements: organisers pin a message at the top of their recipients' home feeds.

Recipients are everyone, the members of an area (a postal-code prefix such as "69" or "690",
or a commune name) or a group's room. An announcement stays pinned until the member dismisses
it (an ``InfluenceDismissal`` row) or it expires. When the organiser asks for it, the activity
that records the announcement notifies the recipients, and the core e-mails those whose
preference for "influence.announcement" is on (``community.activity._email_notifications``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from sqlalchemy import distinct, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from community.activity import audience_member_ids, publish, visible_audiences
from community.extensions import db
from community.markdown import render_markdown
from community.models import Member
from community.timeutil import utcnow

from .models import InfluenceAnnouncement, InfluenceDismissal

VERB = "influence.announcement"
SCOPES = ("all", "area", "group")
MAX_TITLE = 200
MAX_BODY = 5000
PINNED_LIMIT = 5  # at most this many announcements pinned at once, newest first
POSTAL_RE = re.compile(r"^[0-9]{2,5}$")
ROOMLESS = ("public", "members")


class AnnouncementError(ValueError):
    """Refused input; ``errors`` maps a form field to its translated messages."""

    def __init__(self, errors: dict[str, list]):
        super().__init__("; ".join(str(m) for messages in errors.values() for m in messages))
        self.errors = errors


# --- areas ------------------------------------------------------------------------------------


def normalise_commune(name: str | None) -> str:
    """A commune's comparison key: no accents, no case, hyphens and apostrophes as spaces.

    Done in Python because SQLite's lower() only folds ASCII ("Saint-Étienne" ≠ "saint-étienne")."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[-'’_.]", " ", plain).split())


def area_key(raw: str | None) -> str:
    """What is stored in ``area``: the digits of a postal-code prefix, or a commune's key."""
    raw = (raw or "").strip()
    compact = raw.replace(" ", "")
    if compact.isdigit():
        return compact
    return normalise_commune(raw)


def is_postal(key: str) -> bool:
    return key.isdigit()


def postal_prefixes(postal_code: str | None) -> list[str]:
    """Every prefix of a member's postal code that an announcement's area could name."""
    code = (postal_code or "").replace(" ", "")
    return [code[:n] for n in range(2, len(code) + 1)] if code.isdigit() else []


def _communes_matching(key: str) -> list[str]:
    """The communes members typed (as typed) whose key is ``key``."""
    names = db.session.scalars(select(distinct(Member.commune)).where(Member.commune != ""))
    return [name for name in names if normalise_commune(name) == key]


def area_members_clause(key: str):
    """A WHERE clause on Member selecting the members of an area."""
    if is_postal(key):
        return func.replace(Member.postal_code, " ", "").like(f"{key}%")  # key: digits only, no wildcard
    communes = _communes_matching(key)
    return Member.commune.in_(communes) if communes else Member.id.is_(None)


def area_label(announcement: InfluenceAnnouncement) -> str:
    """The area as shown: a postal prefix as is, a commune key capitalised."""
    key = announcement.area or ""
    return key if is_postal(key) else key.title()


# --- writing ----------------------------------------------------------------------------------


def expiry_from_date(day: date | None) -> datetime | None:
    """An expiry date means "until the end of that day" in the organiser's time zone (stored UTC)."""
    if day is None:
        return None
    return to_utc(datetime.combine(day, time(23, 59, 59)))


def today_local() -> date:
    return to_user_timezone(utcnow()).date()


def validate(title: str, body: str, scope: str, area: str, audience: str | None, expires_on: date | None,
             send_email: bool, allowed_audiences: list[str]) -> dict[str, list]:
    """The problems of an announcement's fields, by field name (empty when it is fine)."""
    errors: dict[str, list] = {}

    def add(name: str, message) -> None:
        errors.setdefault(name, []).append(message)

    if not title.strip():
        add("title", _l("Give the announcement a title."))
    elif len(title.strip()) > MAX_TITLE:
        add("title", _l("A title has at most %(n)d characters.", n=MAX_TITLE))
    if len(body or "") > MAX_BODY:
        add("body", _l("An announcement has at most %(n)d characters (this one has %(m)d).", n=MAX_BODY,
                       m=len(body)))
    if scope not in SCOPES:
        add("scope", _l("Choose who receives the announcement."))
    elif scope == "area":
        key = area_key(area)
        if not key:
            add("area", _l("Give a postal code (or its first digits) or a commune."))
        elif is_postal(key) and not POSTAL_RE.match(key):
            add("area", _l("A postal-code area has 2 to 5 digits, such as 69 or 69001."))
        elif not db.session.scalar(select(exists().where(area_members_clause(key)))):
            add("area", _l("No member lives in “%(area)s”: check the postal code or the commune's name.",
                           area=area.strip()))
    elif scope == "group":
        if not audience:
            add("audience", _l("Choose a group."))
        elif audience not in allowed_audiences:
            add("audience", _l("You cannot address this group."))
        elif send_email and audience_member_ids(audience) is None:
            # The module owning the room could not list its members (e.g. it is off).
            add("send_email", _l("E-mail is not available for this group's announcements."))
    if expires_on is not None and expires_on < today_local():
        add("expires_on", _l("The expiry date is already past."))
    return errors


def create(author: Member, *, title: str, body: str = "", scope: str = "all", area: str = "",
           audience: str | None = None, expires_on: date | None = None, send_email: bool = False,
           allowed_audiences: list[str] | None = None) -> InfluenceAnnouncement:
    """Validate, store and publish an announcement; raises AnnouncementError on bad input."""
    title, body = (title or "").strip(), (body or "").strip()
    errors = validate(title, body, scope, area, audience, expires_on, send_email, allowed_audiences or [])
    if errors:
        raise AnnouncementError(errors)
    announcement = InfluenceAnnouncement(
        author_id=author.id, title=title, body=body, body_html=str(render_markdown(body)), scope=scope,
        area=area_key(area) if scope == "area" else "", audience=audience if scope == "group" else None,
        send_email=send_email, created_at=utcnow(), expires_at=expiry_from_date(expires_on))
    db.session.add(announcement)
    db.session.flush()
    notify = recipient_ids(announcement) if send_email else []
    publish(author, VERB, announcement, audience=activity_audience(announcement), notify=notify, data={
        "endpoint": "influence.announcement", "args": {"announcement_id": announcement.id},
        "title": title, "scope": scope})
    clear_live_cache()
    return announcement


def activity_audience(announcement: InfluenceAnnouncement) -> str:
    """Who sees the activity recording it: members, the group, or (an area) the author only,
    so that an area's announcement does not reach followers who live elsewhere."""
    if announcement.scope == "group":
        return announcement.audience
    if announcement.scope == "area":
        return f"member:{announcement.author_id}"
    return "members"


def recipient_ids(announcement: InfluenceAnnouncement) -> list[int]:
    """Active members an announcement reaches: everyone, an area, or a group's members (notifications)."""
    query = select(Member.id).where(Member.erased_at.is_(None), Member.suspended_at.is_(None))
    if announcement.scope == "area":
        query = query.where(area_members_clause(announcement.area))
    elif announcement.scope == "group":
        return audience_member_ids(announcement.audience) or []
    elif announcement.scope != "all":
        return []
    return list(db.session.scalars(query.order_by(Member.id)))


def dismiss(announcement: InfluenceAnnouncement, member: Member) -> None:
    """Unpin an announcement for one member (idempotent: the primary key keeps one row)."""
    try:
        with db.session.begin_nested():
            db.session.add(InfluenceDismissal(announcement_id=announcement.id, member_id=member.id))
    except IntegrityError:
        pass
    db.session.commit()


def withdraw(announcement: InfluenceAnnouncement) -> None:
    """End an announcement now for everyone (kept in the list, marked expired)."""
    now = utcnow()
    if announcement.expires_at is None or announcement.expires_at > now:
        announcement.expires_at = now
    db.session.commit()
    clear_live_cache()


# --- reading ----------------------------------------------------------------------------------


def _group_audiences(audiences: list[str]) -> list[str]:
    return [a for a in audiences if a not in ROOMLESS and not a.startswith("member:")]


@dataclass(frozen=True)
class Pinned:
    """A live announcement as the home feed shows it (plain values: kept across requests)."""

    id: int
    title: str
    body_html: str
    author_name: str | None  # None for a former (erased) member or no author
    created_at: datetime
    expires_at: datetime | None
    scope: str
    area: str
    audience: str | None


def _live() -> list[Pinned]:
    """Every announcement not expired, newest first, from a per-process cache (``ranking.cached``,
    TTL ``ranking.TTL``): the home page does not read them on every view. Creating or withdrawing
    one clears this process's cache; other worker processes catch up within the TTL. Expiry is
    checked again on every read."""
    from . import ranking

    def load() -> list[Pinned]:
        now = utcnow()
        A = InfluenceAnnouncement
        rows = db.session.scalars(select(A).where(or_(A.expires_at.is_(None), A.expires_at > now))
                                  .order_by(A.id.desc()))
        return [Pinned(a.id, a.title, a.body_html, a.author.display_name if a.author and not a.author.erased_at
                       else None, a.created_at, a.expires_at, a.scope, a.area, a.audience) for a in rows]

    return ranking.cached(("announcements", str(db.engine.url)), load)


def clear_live_cache() -> None:
    from . import ranking

    ranking.forget(("announcements", str(db.engine.url)))


def live_for(member: Member, audiences: list[str] | None = None, limit: int = PINNED_LIMIT) -> list[Pinned]:
    """The member's pinned announcements, newest first: addressed to them, not expired, not
    dismissed. No query at all unless one is addressed to them (then one, for their dismissals)."""
    audiences = visible_audiences(member) if audiences is None else audiences
    now = utcnow()
    keys = set(postal_prefixes(member.postal_code))
    commune = normalise_commune(member.commune)
    if commune:
        keys.add(commune)
    groups = set(_group_audiences(audiences))
    candidates = [a for a in _live() if (a.expires_at is None or a.expires_at > now) and (
        a.scope == "all" or (a.scope == "area" and a.area in keys) or (a.scope == "group" and a.audience in groups))]
    if not candidates:
        return []
    dismissed = set(db.session.scalars(select(InfluenceDismissal.announcement_id).where(
        InfluenceDismissal.member_id == member.id,
        InfluenceDismissal.announcement_id.in_([a.id for a in candidates]))))
    return [a for a in candidates if a.id not in dismissed][:limit]


def is_recipient(member: Member, announcement: InfluenceAnnouncement) -> bool:
    if announcement.scope == "all":
        return True
    if announcement.scope == "area":
        return announcement.area in postal_prefixes(member.postal_code) or (
            announcement.area == normalise_commune(member.commune) != "")
    return announcement.audience in visible_audiences(member)


def may_read(member: Member, announcement: InfluenceAnnouncement) -> bool:
    """Recipients read an announcement; organisers and above read them all."""
    return member.has_role("organiser") or is_recipient(member, announcement)


def is_live(announcement: InfluenceAnnouncement) -> bool:
    return announcement.expires_at is None or announcement.expires_at > utcnow()


def listing(*, before: int | None = None, limit: int = 30) -> list[InfluenceAnnouncement]:
    """Every announcement, newest first (keyset on the id), for the organisers' page."""
    query = select(InfluenceAnnouncement)
    if before is not None:
        query = query.where(InfluenceAnnouncement.id < before)
    return list(db.session.scalars(query.order_by(InfluenceAnnouncement.id.desc()).limit(limit)))


def dismissal_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(
        select(InfluenceDismissal.announcement_id, func.count()).where(InfluenceDismissal.announcement_id.in_(ids))
        .group_by(InfluenceDismissal.announcement_id)).all())
