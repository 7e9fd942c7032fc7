"""Posts, replies, reactions, relays, the home feed and topics: plain functions, no HTTP.

Mentions and hashtags are turned into links once, when a post is written (``body_html``), so
reading a feed renders stored, sanitised HTML. Counters (replies, reactions, relays) are kept
by atomic UPDATEs next to the rows that make them, and their uniqueness by the schema.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import g, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, bindparam, case, cast, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from community import fragments
from community.activity import (
    ActivityRow,
    Person,
    activity_row_columns,
    enabled_module_filter,
    hidden_filter,
    keyset,
    preload,
    publish,
    visible_audiences,
)
from community.database import prepared, run
from community.database import rows as fetch_rows
from community.extensions import db
from community.fragments import FragmentCache
from community.markdown import render_markdown
from community.models import Activity, Follow, HiddenContent, Member
from community.registry import registry
from community.timeutil import utcnow

from .models import (
    MAX_POST,
    REACTIONS,
    InfluenceMention,
    InfluencePost,
    InfluencePostTag,
    InfluenceReaction,
    InfluenceRelay,
)

MENTION_RE = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_]{3,30})\b")
HASHTAG_RE = re.compile(r"(?<![\w#&/])#(\w[\w-]{0,62})", re.UNICODE)
FEED_PAGE = 20
POST_VERBS = ("influence.post", "influence.reply", "influence.relay")


class PostError(ValueError):
    """A refused post action; str() is a translated message for the member."""


def _find_handles(text: str) -> dict[str, Member]:
    handles = {h.lower() for h in MENTION_RE.findall(text)}
    if not handles:
        return {}
    members = db.session.scalars(select(Member).where(Member.handle.in_(handles), Member.erased_at.is_(None)))
    return {m.handle: m for m in members}


def render_body(text: str) -> tuple[str, list[str], list[Member]]:
    """(sanitised HTML, hashtags, mentioned members). Unknown @handles stay plain text."""
    known = _find_handles(text)
    tags: list[str] = []

    def mention(match: re.Match) -> str:
        member = known.get(match.group(1).lower())
        if member is None:
            return match.group(0)
        return f"[@{member.handle}]({url_for('members.profile', handle=member.handle)})"

    def hashtag(match: re.Match) -> str:
        tag = match.group(1).lower()
        if tag.isdigit():
            return match.group(0)
        if tag not in tags:
            tags.append(tag)
        return f"[#{match.group(1)}]({url_for('influence.topic', tag=tag)})"

    linked = HASHTAG_RE.sub(hashtag, MENTION_RE.sub(mention, text))
    return str(render_markdown(linked)), tags, list(known.values())


def can_see(member, post: InfluencePost) -> bool:
    """Public posts are for everyone; others for members whose audiences include the post's."""
    if post.deleted_at is not None:
        return False
    if post.audience == "public":
        return True
    if member is None or not member.is_authenticated:
        return False
    return post.audience in visible_audiences(member)


def get_post(post_id: int, viewer) -> InfluencePost | None:
    post = db.session.get(InfluencePost, post_id)
    if post is None or not can_see(viewer, post) or is_hidden(post.id):
        return None
    return post


def is_hidden(post_id: int) -> bool:
    return db.session.get(HiddenContent, ("influence.post", str(post_id))) is not None


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise PostError(_l("Write something first."))
    if len(body) > MAX_POST:
        raise PostError(_l("A post has at most %(n)d characters (this one has %(m)d).", n=MAX_POST, m=len(body)))
    return body


def create_post(author: Member, body: str, *, audience: str = "members", reply_to: InfluencePost | None = None,
                image: str | None = None) -> InfluencePost:
    """Store a post (or a reply), its tags and mentions, count it on its thread, then publish it."""
    body = _check_body(body)
    html, tags, mentioned = render_body(body)
    now = utcnow()
    post = InfluencePost(author_id=author.id, body=body, body_html=html, image=image, created_at=now,
                         last_activity_at=now)
    if reply_to is not None:
        if reply_to.deleted_at is not None:
            raise PostError(_l("This post was deleted: it cannot be answered."))
        post.reply_to_id = reply_to.id
        post.thread_id = reply_to.thread_id or reply_to.id
        post.audience = reply_to.audience  # a reply is seen by whoever sees the conversation
    else:
        post.audience = audience
    db.session.add(post)
    db.session.flush()
    if post.thread_id is None:
        post.thread_id = post.id
    else:
        db.session.execute(update(InfluencePost).where(InfluencePost.id == post.thread_id).values(
            reply_count=InfluencePost.reply_count + 1, last_activity_at=now))
    for tag in tags:
        db.session.add(InfluencePostTag(post_id=post.id, tag=tag, created_at=now))
    notify = {m.id for m in mentioned}
    for member in mentioned:
        db.session.add(InfluenceMention(post_id=post.id, member_id=member.id))
    parent_author = reply_to.author_id if reply_to is not None else None
    if parent_author:
        notify.add(parent_author)
    verb = "influence.reply" if reply_to is not None else "influence.post"
    publish(author, verb, post, audience=post.audience, notify=notify, data={
        "endpoint": "influence.post", "args": {"post_id": post.id}, "mentions": sorted(m.id for m in mentioned),
        "reply_to_author": parent_author, "thread_id": post.thread_id, "tags": tags,
    })
    return post


def edit_window(settings_minutes: int) -> timedelta:
    return timedelta(minutes=settings_minutes)


def edit_post(post: InfluencePost, editor: Member, body: str, window_minutes: int) -> None:
    if post.author_id != editor.id:
        raise PostError(_l("Only its author can edit a post."))
    if utcnow() - post.created_at > edit_window(window_minutes):
        raise PostError(_l("A post can be edited during %(n)d minutes after it was written.", n=window_minutes))
    body = _check_body(body)
    html, tags, mentioned = render_body(body)
    post.body, post.body_html, post.edited_at = body, html, utcnow()
    db.session.execute(delete(InfluencePostTag).where(InfluencePostTag.post_id == post.id))
    for tag in tags:
        db.session.add(InfluencePostTag(post_id=post.id, tag=tag, created_at=post.created_at))
    db.session.execute(delete(InfluenceMention).where(InfluenceMention.post_id == post.id))
    for member in mentioned:
        db.session.add(InfluenceMention(post_id=post.id, member_id=member.id))
    db.session.commit()


def delete_post(post: InfluencePost, member: Member) -> None:
    """The author deletes a post: it leaves feeds and topics; replies to it stay in the thread."""
    if post.author_id != member.id:
        raise PostError(_l("Only its author can delete a post."))
    if post.deleted_at is None:
        post.deleted_at = utcnow()
        db.session.execute(delete(InfluencePostTag).where(InfluencePostTag.post_id == post.id))
        if post.thread_id != post.id:
            db.session.execute(update(InfluencePost).where(
                InfluencePost.id == post.thread_id, InfluencePost.reply_count > 0).values(
                reply_count=InfluencePost.reply_count - 1))
    db.session.commit()


def react(post: InfluencePost, member: Member, kind: str) -> bool:
    """Add a reaction; False when the member already gave this one (the primary key says so)."""
    if kind not in REACTIONS:
        raise PostError(_l("Unknown reaction."))
    if post.deleted_at is not None:
        raise PostError(_l("This post was deleted."))
    try:
        with db.session.begin_nested():
            db.session.add(InfluenceReaction(post_id=post.id, member_id=member.id, kind=kind))
    except IntegrityError:
        db.session.rollback()
        return False
    db.session.execute(update(InfluencePost).where(InfluencePost.id == post.id).values(
        reaction_count=InfluencePost.reaction_count + 1))
    db.session.commit()
    forget_known_reactions()
    return True


def unreact(post: InfluencePost, member: Member, kind: str) -> bool:
    result = db.session.execute(delete(InfluenceReaction).where(
        InfluenceReaction.post_id == post.id, InfluenceReaction.member_id == member.id,
        InfluenceReaction.kind == kind))
    if result.rowcount:
        db.session.execute(update(InfluencePost).where(InfluencePost.id == post.id, InfluencePost.reaction_count > 0)
                           .values(reaction_count=InfluencePost.reaction_count - 1))
    db.session.commit()
    forget_known_reactions()
    return bool(result.rowcount)


def relay(post: InfluencePost, member: Member, comment: str = "") -> InfluenceRelay | None:
    """Share a post with one's followers, once; None when already relayed."""
    if post.deleted_at is not None:
        raise PostError(_l("This post was deleted: it cannot be relayed."))
    if post.audience not in ("public", "members"):
        raise PostError(_l("A group's post stays in its group: it cannot be relayed."))
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise PostError(_l("A relay comment has at most 500 characters."))
    row = InfluenceRelay(post_id=post.id, member_id=member.id, comment=comment)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        db.session.rollback()
        return None
    db.session.execute(update(InfluencePost).where(InfluencePost.id == post.id).values(
        relay_count=InfluencePost.relay_count + 1))
    publish(member, "influence.relay", post, audience=post.audience, notify=[post.author_id], data={
        "endpoint": "influence.post", "args": {"post_id": post.id}, "comment": comment})
    return row


# --- reading ---------------------------------------------------------------------------------


def my_reactions(member_id: int, post_ids: list[int]) -> dict[int, set[str]]:
    """The kinds ``member_id`` gave to each of ``post_ids``; no query when preload_posts() already
    read them in this request (the feed's posts)."""
    if not post_ids:
        return {}
    known = _known_reactions(member_id)
    if known is not None and all(post_id in known for post_id in post_ids):
        return {post_id: known[post_id] for post_id in post_ids if known[post_id]}
    rows = db.session.execute(select(InfluenceReaction.post_id, InfluenceReaction.kind).where(
        InfluenceReaction.member_id == member_id, InfluenceReaction.post_id.in_(post_ids))).all()
    mine: dict[int, set[str]] = {}
    for post_id, kind in rows:
        mine.setdefault(post_id, set()).add(kind)
    return mine


def reaction_counts(post_ids: list[int]) -> dict[int, dict[str, int]]:
    if not post_ids:
        return {}
    rows = db.session.execute(select(InfluenceReaction.post_id, InfluenceReaction.kind, func.count())
                              .where(InfluenceReaction.post_id.in_(post_ids))
                              .group_by(InfluenceReaction.post_id, InfluenceReaction.kind)).all()
    counts: dict[int, dict[str, int]] = {}
    for post_id, kind, n in rows:
        counts.setdefault(post_id, {})[kind] = n
    return counts


def _viewer_id() -> int | None:
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return None
    return current_user.id


def _known_reactions(member_id: int) -> dict[int, set[str]] | None:
    """This request's memo of the reader's reactions, filled by preload_posts()."""
    if not has_request_context():
        return None
    memo = g.get("influence_reactions")
    return memo[1] if memo is not None and memo[0] == member_id else None


def forget_known_reactions() -> None:
    if has_request_context():
        g.pop("influence_reactions", None)


_POST_COLUMNS = tuple(InfluencePost.__table__.c.keys())


class PostRow:
    """A post read for display in a feed: its columns and its author's ``Person``, as plain
    values (templates and cards read it like an ``InfluencePost``). Loading a feed's posts with
    their authors as ORM objects cost about 0.4 ms of CPU more per page (bench/http_pages.py)."""

    content_type = InfluencePost.content_type

    def __init__(self, row):
        self.__dict__.update(zip(_POST_COLUMNS, row, strict=False))  # one call, not a setattr per column
        person = row[len(_POST_COLUMNS):len(_POST_COLUMNS) + 5]
        self.author = Person(*person) if person[0] is not None else None


def _post_columns(post=InfluencePost, author=Member):
    """The columns a ``PostRow`` is built from, then the kinds of reaction the reader (bind
    parameter ``viewer``) gave, as one comma-separated text (one probe of the reactions' primary
    key per post, not one per kind); select them with ``.outerjoin(author, author.id ==
    post.author_id)``."""
    return (*post.__table__.c, author.id, author.handle, author.display_name, author.avatar, author.erased_at,
            select(func.aggregate_strings(InfluenceReaction.kind, ",")).where(
                InfluenceReaction.post_id == post.id, InfluenceReaction.member_id == bindparam("viewer"))
            .scalar_subquery().label("given"))


_GIVEN = len(_POST_COLUMNS) + 5  # where the reader's reactions are, in a row of _post_columns()


def _reactions_memo(viewer: int | None) -> dict | None:
    """This request's memo of the reader's reactions by post (read by my_reactions())."""
    if viewer is None:
        return None
    memo = g.get("influence_reactions")
    if memo is None or memo[0] != viewer:
        memo = g.influence_reactions = (viewer, {})
    return memo[1]


def _post_from_row(row, memo: dict | None) -> PostRow:
    """A ``PostRow`` from the ``_post_columns()`` part of a row; the reader's reactions go to ``memo``."""
    post = PostRow(row)
    if memo is not None:
        given = row[_GIVEN]
        memo[post.id] = set(given.split(",")) if given else set()
    return post


def preload_posts(activities: list[Activity]) -> None:
    """ActivityKind.preload for post, reply and relay activities: one query for all their posts
    (as ``PostRow``), and, for a logged-in reader, which reactions they gave to each (the feed
    then needs no query of its own for them)."""
    ids = {int(a.object_id) for a in activities if a.object_id and a.object_id.isdigit()}
    posts = {}
    viewer = _viewer_id()
    if ids:
        statement = prepared("influence.preload_posts", lambda: select(*_post_columns())
                             .outerjoin(Member, Member.id == InfluencePost.author_id)
                             .where(InfluencePost.id.in_(bindparam("ids", expanding=True))))
        memo = _reactions_memo(viewer)
        # viewer 0 (a visitor): no member has that id, so no reaction is "given"
        for row in run(statement, {"viewer": viewer or 0, "ids": list(ids)}):
            post = _post_from_row(row, memo)
            posts[post.id] = post
    for activity in activities:
        ident = activity.object_id
        activity.obj = posts.get(int(ident)) if ident and ident.isdigit() else None


def _group_audiences(member: Member) -> list[str]:
    return [a for a in visible_audiences(member) if a not in ("public", "members") and not a.startswith("member:")]


def feed_filter(member: Member, group_audiences: list[str] | None = None, *, member_id=None, floor=None):
    """The home feed: what followed members and oneself do (any enabled module), what is posted in
    one's groups, and what mentions or answers oneself. ``member_id`` may be a bind parameter;
    ``floor`` (a bind parameter), the lowest activity id wanted, is put in each branch, where the
    indexes can use it as a range."""
    member_id = member.id if member_id is None else member_id
    people = select(Follow.followed_id).where(Follow.follower_id == member_id).union_all(select(member_id))
    group_audiences = _group_audiences(member) if group_audiences is None else group_audiences
    newer = (Activity.id >= floor,) if floor is not None else ()
    # coalesce(): the audience test must not use the audience index, so that the planner walks
    # the (actor_id, id, audience) index of the few people followed instead (measured: 100 ms → 1 ms).
    clauses = [and_(Activity.actor_id.in_(people), func.coalesce(Activity.audience, "").in_(("public", "members")),
                    *newer)]
    if isinstance(group_audiences, BindParameter) or group_audiences:
        clauses.append(and_(Activity.audience.in_(group_audiences), *newer))
    return or_(*clauses)


_HIDDEN = len(activity_row_columns())  # a feed row: the activity row, "hidden", then the post
HIDDEN_SLACK = 8  # hidden items a page may skip before the exact (slower) query is needed
_FEED_STATEMENTS: dict[tuple, object] = {}


def _feed_statement(has_groups: bool, direction: str):
    """The feed page's statement for one shape (groups or not; first page, first page from a floor,
    older or newer; modules switched off), built once with bound parameters: SQLAlchemy then
    reuses its cache key and compiled form instead of rebuilding them from a new tree on every
    page view."""
    disabled = tuple(m.name for m in registry if not registry.is_enabled(m.name))
    key = (has_groups, direction, disabled)
    statement = _FEED_STATEMENTS.get(key)
    if statement is None:
        groups = bindparam("groups", expanding=True) if has_groups else []
        floor = bindparam("floor", type_=db.Integer) if direction == "floor" else None
        window = select(Activity.id).where(
            feed_filter(None, groups, member_id=bindparam("member_id", type_=db.Integer), floor=floor),
            enabled_module_filter(Activity.module))
        if floor is not None:
            # Above a floor the candidates are few: hidden ones are left out here, and the
            # window is the page itself (no slack, no row read for nothing).
            window = window.where(hidden_filter(Activity.object_type, Activity.object_id))
        if direction == "after":
            window = window.where(Activity.id > bindparam("cursor")).order_by(Activity.id.asc())
        elif direction == "before":
            window = window.where(Activity.id < bindparam("cursor")).order_by(Activity.id.desc())
        else:
            window = window.order_by(Activity.id.desc())
        hidden = select(HiddenContent.content_id).where(HiddenContent.content_type == Activity.object_type,
                                                       HiddenContent.content_id == Activity.object_id).exists()
        # The posts of post, reply and relay items come with the page (one query less than
        # preloading them): their columns, author and the reader's reactions, or NULLs.
        author = aliased(Member)
        post_id = case((Activity.verb.in_(POST_VERBS), cast(Activity.object_id, db.Integer)))
        statement = (select(*activity_row_columns(), hidden.label("hidden"), *_post_columns(InfluencePost, author))
                     .outerjoin(Member, Member.id == Activity.actor_id)
                     .outerjoin(InfluencePost, InfluencePost.id == post_id)
                     .outerjoin(author, author.id == InfluencePost.author_id)
                     .where(Activity.id.in_(window.limit(bindparam("window", type_=db.Integer))))
                     .order_by(Activity.id.asc() if direction == "after" else Activity.id.desc()))
        _FEED_STATEMENTS[key] = statement
    return statement


def _floors() -> FragmentCache:
    """Per member, the lowest activity id of their last full first page (``home_feed``): this
    process's own, bounded, lost on restart."""
    return fragments.cache("influence_feed_floors")


def home_feed(member: Member, *, before: int | None = None, after: int | None = None, limit: int = FEED_PAGE):
    """A page of the member's home feed, newest first (keyset on the activity id), preloaded.

    The feed's rows are many (every activity of the people followed: ~750 for the bench's member
    at 200,000 posts), and the database sorts them all before the LIMIT. So the sort runs on the
    ids alone, for ``limit + HIDDEN_SLACK`` candidates, and only these candidates are loaded whole
    and checked against moderation (hidden content): 5.6 ms → about 1 ms on SQLite. When more than
    the slack of them are hidden, the page is read again with the exact query (rare: one query more).

    The first page starts from a floor when this process has shown the member a full first page
    before: only activities from the lowest id of that page on are read, each index walked from
    there (0.13 ms → 0.03 ms on SQLite at 350,000 activities). Above a floor the candidates are
    few, so hidden ones are left out in the window itself, which is then the page (no slack rows
    read and dropped). The page stays exact: when at least a page's worth of rows lie above the
    floor, they are the newest of all, as nothing below the floor is newer; when fewer do (an
    unfollow, a deletion, hidden posts, a module switched off), the page is read again without it
    (one query more)."""
    groups = _group_audiences(member)
    direction = "after" if after is not None else "before" if before is not None else "first"
    window = limit + HIDDEN_SLACK
    params = {"member_id": member.id, "window": window, "viewer": member.id}
    if groups:
        params["groups"] = groups
    if direction != "first":
        params["cursor"] = after if after is not None else before
    rows = None
    if direction == "first":
        floor = _floors().get((member.id,))
        if floor is not None:
            rows = fetch_rows(_feed_statement(bool(groups), "floor"), {**params, "floor": floor[0], "window": limit})
            if len(rows) < limit:
                rows = None  # too few above the floor: the whole feed decides
            else:
                window = limit
    if rows is None:
        rows = fetch_rows(_feed_statement(bool(groups), direction), params)
    if direction == "first" and len(rows) == window:
        _floors().put((member.id,), (rows[-1][0],))  # newest first: the last row has the lowest id
    memo = _reactions_memo(member.id)
    items = []
    for row in rows:
        if row[_HIDDEN]:
            continue
        activity = ActivityRow(row)  # plain values: see ActivityRow
        if activity.verb in POST_VERBS:
            activity.obj = _post_from_row(row[_HIDDEN + 1:], memo) if row[_HIDDEN + 1] is not None else None
        items.append(activity)
        if len(items) == limit:  # the rest of the window was only there in case some were hidden
            break
    if len(items) < limit and len(rows) == window:
        exact = select(Activity).where(feed_filter(member, groups), enabled_module_filter(Activity.module),
                                       hidden_filter(Activity.object_type, Activity.object_id))
        items = list(db.session.scalars(keyset(exact, Activity.id, before=before, after=after).limit(limit)))
        return preload(items)
    preload([a for a in items if a.verb not in POST_VERBS])  # the posts came with the rows
    return items


def movement_feed(viewer, *, before: int | None = None, limit: int = FEED_PAGE, public_only: bool = False):
    """Every root post the viewer may see, newest first."""
    audiences = ["public"] if public_only else visible_audiences(viewer)
    query = select(InfluencePost).where(
        InfluencePost.deleted_at.is_(None), InfluencePost.reply_to_id.is_(None),
        InfluencePost.audience.in_(audiences), hidden_filter("influence.post", func.cast(InfluencePost.id, db.String)))
    if before is not None:
        query = query.where(InfluencePost.id < before)
    return list(db.session.scalars(query.order_by(InfluencePost.id.desc()).limit(limit)))


def member_posts(author_id: int, viewer, *, before: int | None = None, limit: int = FEED_PAGE,
                 public_only: bool = False):
    audiences = ["public"] if public_only else visible_audiences(viewer)
    query = select(InfluencePost).where(
        InfluencePost.author_id == author_id, InfluencePost.deleted_at.is_(None),
        InfluencePost.audience.in_(audiences), hidden_filter("influence.post", func.cast(InfluencePost.id, db.String)))
    if before is not None:
        query = query.where(InfluencePost.id < before)
    return list(db.session.scalars(query.order_by(InfluencePost.id.desc()).limit(limit)))


def topic_posts(tag: str, viewer, *, before: int | None = None, limit: int = FEED_PAGE, public_only: bool = False):
    audiences = ["public"] if public_only else visible_audiences(viewer)
    query = (select(InfluencePost).join(InfluencePostTag, InfluencePostTag.post_id == InfluencePost.id)
             .where(InfluencePostTag.tag == tag.lower(), InfluencePost.deleted_at.is_(None),
                    InfluencePost.audience.in_(audiences),
                    hidden_filter("influence.post", func.cast(InfluencePost.id, db.String))))
    # Keyset on the tag row's post_id: the (tag, post_id) index then gives the order (no sort).
    if before is not None:
        query = query.where(InfluencePostTag.post_id < before)
    return list(db.session.scalars(query.order_by(InfluencePostTag.post_id.desc()).limit(limit)))


def thread(root: InfluencePost, viewer) -> list[InfluencePost]:
    """The replies of a conversation, oldest first (hidden and deleted replies left out)."""
    return list(db.session.scalars(select(InfluencePost).where(
        InfluencePost.thread_id == root.id, InfluencePost.id != root.id, InfluencePost.deleted_at.is_(None),
        hidden_filter("influence.post", func.cast(InfluencePost.id, db.String))).order_by(InfluencePost.id)))


def thread_summary(root: InfluencePost, replies: list[InfluencePost]) -> dict:
    """The summary card of a conversation: participants, replies, last activity, most-reacted replies."""
    participants: dict[int, Member] = {root.author_id: root.author}
    for reply in replies:
        participants.setdefault(reply.author_id, reply.author)
    top = sorted((r for r in replies if r.reaction_count), key=lambda r: (-r.reaction_count, r.id))[:3]
    return {"participants": list(participants.values()), "replies": len(replies),
            "last_activity": max([root.created_at, *(r.created_at for r in replies)]), "top": top}
