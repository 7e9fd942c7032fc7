"""Highlights ("À la une"): moderators and organisers pin a post or a conversation for a period.

The feed shows the current highlights on every page view, so they are read from a per-process
cache (``ranking.cached``, TTL ``ranking.TTL``) holding plain values, not ORM objects, and
filtered in Python by time and by what the viewer may see: most feed pages cost no query for
them. Pinning and unpinning clear the cache, and so does hiding a post (the module's
content_hidden receiver); other worker processes catch up within the TTL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from community.activity import hidden_filter
from community.extensions import db
from community.models import Member
from community.timeutil import utcnow

from . import ranking
from .models import InfluenceHighlight, InfluencePost
from .service import can_see, is_hidden

FEED_LIMIT = 3  # shown at the top of the home feed
CACHE_LIMIT = 50  # current and upcoming highlights kept in the cache
PAGE_HISTORY_DAYS = 30  # staff also see the highlights that ended in the last days
MAX_NOTE = 200
POST_REF_RE = re.compile(r"posts/(\d+)(?:[^#\s]*#post-(\d+))?")


class HighlightError(ValueError):
    """Refused input; ``errors`` maps a form field to its translated messages."""

    def __init__(self, errors: dict[str, list]):
        super().__init__("; ".join(str(m) for messages in errors.values() for m in messages))
        self.errors = errors


@dataclass(frozen=True)
class Highlight:
    """What the feed and the page show of a highlight (a value: safe to keep across requests)."""

    id: int
    post_id: int
    thread_id: int
    is_reply: bool
    audience: str
    note: str
    starts_at: datetime
    ends_at: datetime
    excerpt: str
    created_at: datetime
    reply_count: int
    reaction_count: int
    author_handle: str | None  # None for a former (erased) member
    author_name: str | None

    def is_current(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def _excerpt(body_html: str, length: int = 240) -> str:
    text = " ".join(Markup(body_html).striptags().split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def load(ending_after: datetime, limit: int = CACHE_LIMIT) -> list[Highlight]:
    """Highlights ending after ``ending_after`` whose post is neither deleted nor hidden, most
    recently started first, in one query."""
    rows = db.session.execute(
        select(InfluenceHighlight.id, InfluenceHighlight.post_id, InfluenceHighlight.note, InfluenceHighlight.starts_at,
               InfluenceHighlight.ends_at, InfluencePost.thread_id, InfluencePost.reply_to_id, InfluencePost.audience,
               InfluencePost.body_html, InfluencePost.created_at, InfluencePost.reply_count,
               InfluencePost.reaction_count, Member.handle, Member.display_name, Member.erased_at)
        .join(InfluencePost, InfluencePost.id == InfluenceHighlight.post_id)
        .join(Member, Member.id == InfluencePost.author_id)
        .where(InfluenceHighlight.ends_at > ending_after, InfluencePost.deleted_at.is_(None),
               hidden_filter("influence.post", func.cast(InfluencePost.id, db.String)))
        .order_by(InfluenceHighlight.starts_at.desc(), InfluenceHighlight.id.desc())
        .limit(limit)
    ).all()
    return [Highlight(
        id=r.id, post_id=r.post_id, thread_id=r.thread_id or r.post_id, is_reply=r.reply_to_id is not None,
        audience=r.audience, note=r.note or "", starts_at=r.starts_at, ends_at=r.ends_at,
        excerpt=_excerpt(r.body_html), created_at=r.created_at, reply_count=r.reply_count,
        reaction_count=r.reaction_count, author_handle=None if r.erased_at else r.handle,
        author_name=None if r.erased_at else r.display_name) for r in rows]


def current(audiences: list[str], *, limit: int = FEED_LIMIT) -> list[Highlight]:
    """The highlights on now that a viewer with ``audiences`` may see, from the cache."""
    # Keyed by database too: one process may serve several apps (the tests do).
    items = ranking.cached(("highlights", str(db.engine.url)), lambda: load(utcnow()))
    now = utcnow()
    return [h for h in items if h.is_current(now) and h.audience in audiences][:limit]


def for_page(audiences: list[str], *, staff: bool) -> list[Highlight]:
    """The page: current highlights for everyone; staff also see upcoming and recently ended ones."""
    now = utcnow()
    if staff:
        return [h for h in load(now - timedelta(days=PAGE_HISTORY_DAYS), limit=200) if h.audience in audiences]
    return [h for h in load(now) if h.is_current(now) and h.audience in audiences]


def parse_post_ref(text: str | None) -> int | None:
    """A post's number from "123", a post link, or a conversation link ending in #post-<id>."""
    text = (text or "").strip()
    if text.isdigit():
        return int(text)
    match = POST_REF_RE.search(text)
    if not match:
        return None
    return int(match.group(2) or match.group(1))


def create(by: Member, *, post_ref: str, ends_at: datetime | None, starts_at: datetime | None = None,
           note: str = "") -> InfluenceHighlight:
    """Pin a post (or, through its root post, a conversation) from ``starts_at`` (default now) to
    ``ends_at``; times are naive UTC. Raises HighlightError on bad input."""
    errors: dict[str, list] = {}
    now = utcnow()
    starts_at = starts_at or now
    post = None
    post_id = parse_post_ref(post_ref)
    if post_id is None:
        errors["post"] = [_l("Give the link or the number of a post.")]
    else:
        post = db.session.get(InfluencePost, post_id)
        if post is None or post.deleted_at is not None or is_hidden(post.id) or not can_see(by, post):
            errors["post"] = [_l("There is no post number %(n)d that you can see.", n=post_id)]
    if ends_at is None:
        errors["ends_at"] = [_l("Give the end of the period.")]
    elif ends_at <= now:
        errors["ends_at"] = [_l("This period is already over.")]
    elif ends_at <= starts_at:
        errors["ends_at"] = [_l("The end must come after the start.")]
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = [_l("A note has at most %(n)d characters.", n=MAX_NOTE)]
    if errors:
        raise HighlightError(errors)
    highlight = InfluenceHighlight(post_id=post.id, by_id=by.id, note=note, starts_at=starts_at, ends_at=ends_at)
    db.session.add(highlight)
    db.session.commit()
    ranking.clear_cache()
    return highlight


def unpin(highlight: InfluenceHighlight) -> None:
    """End a highlight now; one that has not started yet is removed (its period would be empty)."""
    now = utcnow()
    if highlight.starts_at < now:
        highlight.ends_at = min(highlight.ends_at, now)
    else:
        db.session.delete(highlight)
    db.session.commit()
    ranking.clear_cache()

