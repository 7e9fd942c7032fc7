"""Privacy as a feature (ARCHITECTURE §5): export of one's own data, erasure, retention.

Political opinion is special-category data: being a member can reveal it. A member can take
all their data with them, or have their account erased; what the platform no longer needs is
pruned on a schedule.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select

from . import signals
from .auth.service import end_all_sessions, hash_password
from .database import refresh_statistics
from .extensions import db
from .models import (
    Activity,
    ConsentRecord,
    EmailPreference,
    Follow,
    Member,
    MemberSession,
    MemberSocket,
    MemberTag,
    Notification,
    Report,
    record,
)
from .registry import registry
from .timeutil import utcnow
from .uploads import delete_upload

EXPORT_FORMAT = "terreau-member-export/1"


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def export_member(member: Member) -> dict:
    """Everything the platform holds about ``member`` that is theirs to take, as JSON-ready data.

    Others' identities are left out: the export lists whom the member follows (their own acts),
    and only how many follow them.
    """
    following = db.session.scalars(
        select(Member.handle).join(Follow, Follow.followed_id == Member.id).where(Follow.follower_id == member.id)
    ).all()
    followers = db.session.scalar(select(db.func.count()).where(Follow.followed_id == member.id))
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(utcnow()),
        "profile": {
            "handle": member.handle, "display_name": member.display_name, "email": member.email,
            "role": member.role, "joined_at": _iso(member.joined_at), "locale": member.locale,
            "timezone": member.timezone, "bio": member.bio, "commune": member.commune,
            "postal_code": member.postal_code, "in_directory": member.in_directory,
            "interests": member.tag_names("interest"), "skills": member.tag_names("skill"),
            "avatar": member.avatar,
        },
        "following": sorted(following),
        "followers_count": followers,
        "consents": [
            {"purpose": c.purpose, "version": c.version, "given": c.given, "at": _iso(c.at)}
            for c in db.session.scalars(select(ConsentRecord).where(ConsentRecord.member_id == member.id)
                                        .order_by(ConsentRecord.id))
        ],
        "email_preferences": {
            p.kind: p.enabled for p in db.session.scalars(
                select(EmailPreference).where(EmailPreference.member_id == member.id))
        },
        "sessions": [_iso(s.created_at) for s in db.session.scalars(
            select(MemberSession).where(MemberSession.member_id == member.id))],
        "activities": [
            {"verb": a.verb, "object": f"{a.object_type}:{a.object_id}" if a.object_type else None,
             "at": _iso(a.created_at), "data": a.data}
            for a in db.session.scalars(select(Activity).where(Activity.actor_id == member.id).order_by(Activity.id))
        ],
        "notifications": [
            {"kind": n.kind, "at": _iso(n.created_at), "read_at": _iso(n.read_at)}
            for n in db.session.scalars(select(Notification).where(Notification.member_id == member.id)
                                        .order_by(Notification.id))
        ],
        "reports_filed": [
            {"content": f"{r.content_type}:{r.content_id}", "reason": r.reason, "status": r.status,
             "at": _iso(r.created_at)}
            for r in db.session.scalars(select(Report).where(Report.reporter_id == member.id))
        ],
        "modules": {},
    }
    for module in registry:
        if module.export_data is not None:
            data["modules"][module.name] = module.export_data(member)
    return data


def erase_member(member: Member, *, by: Member | None = None) -> None:
    """Erase an account: personal data deleted, the row kept as an anonymous placeholder so
    others' content (replies, events) stays coherent. Modules anonymise their own data on the
    ``member_erased`` signal. The consent ledger keeps its rows (proof of what was agreed)."""
    member_id = member.id
    old_avatar = member.avatar
    end_all_sessions(member_id)
    db.session.execute(delete(MemberTag).where(MemberTag.member_id == member_id))
    db.session.execute(delete(Follow).where(or_(Follow.follower_id == member_id, Follow.followed_id == member_id)))
    db.session.execute(delete(Notification).where(Notification.member_id == member_id))
    db.session.execute(delete(EmailPreference).where(EmailPreference.member_id == member_id))
    db.session.execute(delete(Activity).where(Activity.actor_id == member_id, Activity.module == "core"))
    member.handle = f"erased_{member_id}"
    member.display_name = "—"
    member.email = f"erased-{member_id}@erased.invalid"
    member.password_hash = hash_password(secrets.token_urlsafe(32))
    member.bio = ""
    member.commune = ""
    member.postal_code = ""
    member.in_directory = False
    member.avatar = None
    member.locale = None
    member.timezone = None
    member.erased_at = utcnow()
    record(by or member, "member.erase", f"member:{member_id}")
    db.session.commit()
    delete_upload("avatars", old_avatar)
    signals.member_erased.send(current_app._get_current_object(), member_id=member_id)


def prune(now=None) -> dict[str, int]:
    """Apply the retention periods; returns how many rows each rule deleted."""
    now = now or utcnow()
    config = current_app.config
    read_limit = now - timedelta(days=config["TERREAU_RETAIN_READ_NOTIFICATIONS_DAYS"])
    any_limit = now - timedelta(days=config["TERREAU_RETAIN_NOTIFICATIONS_DAYS"])
    report_limit = now - timedelta(days=config["TERREAU_RETAIN_REPORTS_DAYS"])
    session_limit = now - current_app.permanent_session_lifetime
    counts = {
        "notifications": db.session.execute(delete(Notification).where(or_(
            Notification.read_at < read_limit, Notification.created_at < any_limit))).rowcount,
        "sessions": db.session.execute(delete(MemberSession).where(MemberSession.created_at < session_limit)).rowcount,
        "sockets": db.session.execute(delete(MemberSocket).where(
            MemberSocket.connected_at < now - timedelta(days=2))).rowcount,
        "reports": db.session.execute(delete(Report).where(
            Report.status != "open", Report.handled_at < report_limit)).rowcount,
    }
    db.session.commit()
    refresh_statistics()
    return counts
