"""Profiles, the directory and follows, as plain functions."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from .. import signals
from ..activity import publish
from ..extensions import db
from ..models import ConsentRecord, Follow, Member, MemberTag
from ..timeutil import utcnow

DIRECTORY_PAGE = 30


def set_tags(member: Member, kind: str, names: list[str]) -> None:
    keep = [t for t in member.tags if t.kind != kind]
    member.tags = keep + [MemberTag(kind=kind, name=n) for n in names]


def set_directory_opt_in(member: Member, opted_in: bool) -> None:
    """Record the change in the consent ledger: being listed can reveal political opinion."""
    if member.in_directory != opted_in:
        member.in_directory = opted_in
        db.session.add(ConsentRecord(member_id=member.id, purpose="directory", version="1", given=opted_in))


def follow(follower: Member, followed: Member) -> bool:
    """Follow (idempotent, enforced by the primary key); notifies the followed member. True if new."""
    if follower.id == followed.id:
        return False
    table = Follow.__table__
    values = {"follower_id": follower.id, "followed_id": followed.id, "created_at": utcnow()}
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).values(**values)
    # RETURNING tells whether a row was inserted on both backends (rowcount is not reliable here).
    inserted = db.session.execute(insert.on_conflict_do_nothing().returning(table.c.follower_id)).first()
    if inserted is None:
        db.session.rollback()
        return False
    publish(follower, "core.follow", ("core.member", followed.id), audience=f"member:{followed.id}",
            notify=[followed.id], data={"endpoint": "members.profile", "args": {"handle": follower.handle}})
    signals.member_followed.send(current_app._get_current_object(), follower_id=follower.id,
                                 followed_id=followed.id)
    return True


def unfollow(follower: Member, followed: Member) -> bool:
    result = db.session.execute(
        delete(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed.id)
    )
    db.session.commit()
    if result.rowcount:
        signals.member_unfollowed.send(current_app._get_current_object(), follower_id=follower.id,
                                       followed_id=followed.id)
    return bool(result.rowcount)


def is_following(follower_id: int, followed_id: int) -> bool:
    return db.session.get(Follow, (follower_id, followed_id)) is not None


def follow_counts(member_id: int) -> tuple[int, int]:
    """(followers, following) in one query."""
    followers = select(func.count()).where(Follow.followed_id == member_id).scalar_subquery()
    following = select(func.count()).where(Follow.follower_id == member_id).scalar_subquery()
    return tuple(db.session.execute(select(followers, following)).one())


def follow_list(member: Member, direction: str, *, after: str | None = None, limit: int = 50,
                listed_only: bool = False) -> list[Member]:
    """Followers or followed members, by handle (keyset on handle); ``listed_only`` keeps those
    who opted in to the directory (what other members may see)."""
    if direction == "followers":
        join_on, where = Follow.follower_id == Member.id, Follow.followed_id == member.id
    else:
        join_on, where = Follow.followed_id == Member.id, Follow.follower_id == member.id
    query = select(Member).join(Follow, join_on).where(where, Member.erased_at.is_(None))
    if listed_only:
        query = query.where(Member.in_directory.is_(True))
    if after:
        query = query.where(Member.handle > after)
    return list(db.session.scalars(query.order_by(Member.handle).limit(limit)))


def directory(*, q: str = "", commune: str = "", interest: str = "", skill: str = "",
              after: str | None = None, limit: int = DIRECTORY_PAGE) -> list[Member]:
    """Members who opted in to the directory, filtered; keyset on handle."""
    query = select(Member).where(Member.in_directory.is_(True), Member.erased_at.is_(None),
                                 Member.suspended_at.is_(None))
    if q:
        like = f"%{_escape_like(q.strip().lower())}%"
        query = query.where(or_(func.lower(Member.display_name).like(like, escape="\\"),
                                Member.handle.like(like, escape="\\")))
    if commune:
        c = commune.strip().lower()
        query = query.where(or_(func.lower(Member.commune) == c, Member.postal_code.startswith(c)))
    for kind, value in (("interest", interest), ("skill", skill)):
        if value:
            tag = MemberTag.__table__.alias()
            query = query.where(
                select(tag.c.member_id).where(and_(tag.c.member_id == Member.id, tag.c.kind == kind,
                                                   tag.c.name == value.strip().lower())).exists()
            )
    if after:
        query = query.where(Member.handle > after)
    return list(db.session.scalars(query.order_by(Member.handle).limit(limit)))


def popular_tags(kind: str, limit: int = 30) -> list[str]:
    rows = db.session.execute(
        select(MemberTag.name).join(Member, Member.id == MemberTag.member_id)
        .where(MemberTag.kind == kind, Member.in_directory.is_(True))
        .group_by(MemberTag.name).order_by(func.count().desc(), MemberTag.name).limit(limit)
    ).scalars()
    return list(rows)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
