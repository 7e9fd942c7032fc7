"""Accounts: password policy, hashing, login sessions, reset tokens. Plain functions, no HTTP."""

from __future__ import annotations

import re
import secrets

from flask import current_app, g, has_request_context, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from .. import signals
from ..database import prepared, rows
from ..extensions import db, login_manager
from ..models import ConsentRecord, Member, MemberSession, Notification, record
from ..registry import registry
from ..timeutil import utcnow

HANDLE_RE = re.compile(r"^[a-z0-9_]{3,30}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
PROCESSING_NOTICE_VERSION = "2026-11"
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, handle: str = "", email: str = "") -> str | None:
    """Why a password is refused, or None. Length and commonness only: no composition rules."""
    if len(password) < MIN_PASSWORD:
        return _l("Use at least %(n)d characters.", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _l("Use at most %(n)d characters.", n=MAX_PASSWORD)
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) < 3:
        return _l("This password is too common; choose another one.")
    for personal in (handle.lower(), email.lower().split("@")[0]):
        if personal and len(personal) >= 4 and personal in lowered and len(lowered) - len(personal) < 6:
            return _l("This password is too close to your handle or e-mail.")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["TERREAU_PASSWORD_HASH"])


def find_by_login(identifier: str) -> Member | None:
    """A member by e-mail or handle (case-insensitive)."""
    key = identifier.strip().lower().lstrip("@")
    column = Member.email if "@" in key else Member.handle
    return db.session.scalar(select(Member).where(column == key))


def check_login(identifier: str, password: str) -> Member | None:
    """The member if the password matches. Ends (commits) the current transaction before hashing."""
    member = find_by_login(identifier)
    # Same cost as a real check for an unknown account, so timing does not reveal which accounts exist.
    password_hash = _dummy_hash() if member is None else member.password_hash
    erased = member is None or member.erased_at is not None
    # A POST runs in a write transaction (BEGIN IMMEDIATE, database.py): release SQLite's write lock
    # before the ~0.1 s password hash, or logins queue one at a time and time out as 503 under
    # concurrency (measured by bench/socketio_fanout.py: 8.7 logins/s on 2 cores whatever the threads).
    db.session.commit()
    if not check_password_hash(password_hash, password) or erased:
        return None
    return member


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password with the configured method (computed once per method)."""
    method = current_app.config["TERREAU_PASSWORD_HASH"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(8), method=method)
    return _DUMMY_HASHES[method]


def create_member(*, handle: str, display_name: str, email: str, password: str, role: str = "member",
                  locale: str | None = None, consent: bool = True) -> Member:
    """Create a member (caller commits). Handles and e-mails are stored lower-case."""
    member = Member(
        handle=handle.strip().lower(),
        display_name=display_name.strip(),
        email=email.strip().lower(),
        password_hash=hash_password(password),
        role=role,
        locale=locale,
    )
    db.session.add(member)
    db.session.flush()
    if consent:
        db.session.add(ConsentRecord(member_id=member.id, purpose="processing_notice",
                                     version=PROCESSING_NOTICE_VERSION, given=True))
    return member


def handle_taken(handle: str) -> bool:
    return db.session.scalar(select(func.count()).where(Member.handle == handle.strip().lower())) > 0


def email_taken(email: str) -> bool:
    return db.session.scalar(select(func.count()).where(Member.email == email.strip().lower())) > 0


def start_session(member: Member) -> None:
    """Log in: a new server-side session row whose random id goes in the cookie."""
    sid = secrets.token_urlsafe(32)
    expired = utcnow() - current_app.permanent_session_lifetime
    db.session.execute(delete(MemberSession).where(MemberSession.member_id == member.id,
                                                   MemberSession.created_at < expired))
    db.session.add(MemberSession(id=sid, member_id=member.id))
    db.session.commit()
    member.session_id = sid
    session.permanent = True
    login_user(member)


def end_session(member: Member) -> None:
    """Log out: delete the session row (the old cookie is refused) and close its sockets."""
    from ..realtime import disconnect_member

    sid = member.session_id
    db.session.execute(delete(MemberSession).where(MemberSession.id == sid))
    disconnect_member(member.id, sid)
    db.session.commit()
    logout_user()
    session.clear()


def end_all_sessions(member_id: int) -> None:
    """Every login of the member ends, in every process (suspension, password reset)."""
    from ..realtime import disconnect_member

    db.session.execute(delete(MemberSession).where(MemberSession.member_id == member_id))
    disconnect_member(member_id)


@login_manager.user_loader
def _load_member(user_id: str) -> Member | None:
    """The cookie names "<member id>:<session id>"; both must match a live session. One statement,
    which also brings what every page needs: the unread count, the module switches and stored
    settings (unless already read), and the modules' ``login_columns`` (docs/modules.md)."""
    member_id, _, sid = user_id.partition(":")
    if not member_id.isdigit() or not sid:
        return None
    # Unless this request has already read them, the module switches and stored settings come
    # with the login too (every page needs them): one statement less (registry.stored_columns).
    with_stored = has_request_context() and "terreau_modules" not in g

    def build():
        unread = select(func.count()).select_from(Notification).where(
            Notification.member_id == Member.id, Notification.read_at.is_(None)).scalar_subquery()
        stored = registry.stored_columns() if with_stored else ()
        return (select(*_MEMBER_COLUMNS, unread, *stored, *registry.login_columns(Member.id))
                .join(MemberSession, MemberSession.member_id == Member.id)
                .where(Member.id == bindparam("member_id"), MemberSession.id == bindparam("sid"),
                       MemberSession.created_at >= bindparam("since")))

    statement = prepared(("auth.load_member", with_stored), build)
    found = rows(statement, {"member_id": int(member_id), "sid": sid,
                             "since": utcnow() - current_app.permanent_session_lifetime})
    if not found:
        return None
    row = found[0]
    width = len(_MEMBER_COLUMNS)
    if with_stored:
        registry.take_stored(row[width + 1], row[width + 2])
    member = _persistent_member(row[:width])
    if not member.is_active:
        return None
    registry.take_login(member.id, row[width + (3 if with_stored else 1):])
    member.session_id = sid
    # Every page's header shows the unread count: read with the login, not in a query of its own
    # (community.activity.unread_for).
    member.unread_all = row[width]
    return member


_MEMBER_COLUMNS = tuple(Member.__table__.c)
_MEMBER_KEYS = tuple(Member.__mapper__.get_property_by_column(c).key for c in _MEMBER_COLUMNS)


def _persistent_member(values) -> Member:
    """The member of a login row as a persistent ORM object of this request's session, as a query
    would have loaded it (forms change it and commit), without the ORM's loading of one row (about
    a tenth of the home page's CPU: bench/http_pages.py). SQLAlchemy's public
    ``make_transient_to_detached`` then ``Session.add`` make it persistent without SQL. If the
    session already holds this member (a test's outer context), that object is returned, as a
    query would have returned it."""
    mapper = Member.__mapper__
    if not mapper.configured:  # the first work of a new process may be a login (a socket's)
        configure_mappers()
    session = db.session()
    existing = session.identity_map.get(mapper.identity_key_from_primary_key((values[0],)))
    if existing is not None:
        return existing
    member = mapper.class_manager.new_instance()
    member.__dict__.update(zip(_MEMBER_KEYS, values, strict=True))
    make_transient_to_detached(member)
    session.add(member)
    return member


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="terreau-password-reset")


def reset_token(member: Member) -> str:
    """A signed token naming the member and a fingerprint of the current password hash:
    it stops working once used (the hash changes) or after TERREAU_RESET_TOKEN_MAX_AGE seconds."""
    return _serializer().dumps({"m": member.id, "h": member.password_hash[-16:]})


def member_for_reset(token: str) -> tuple[Member | None, str | None]:
    """(member, None) for a valid token, else (None, "expired" | "invalid")."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["TERREAU_RESET_TOKEN_MAX_AGE"])
    except SignatureExpired:
        return None, "expired"
    except BadSignature:
        return None, "invalid"
    member = db.session.get(Member, data.get("m"))
    if member is None or member.erased_at is not None or member.password_hash[-16:] != data.get("h"):
        return None, "invalid"
    return member, None


def set_password(member: Member, password: str, actor: Member | None = None) -> None:
    member.password_hash = hash_password(password)
    end_all_sessions(member.id)
    record(actor or member, "member.password", f"member:{member.id}")


def suspend(member: Member, reason: str, by: Member) -> None:
    member.suspended_at = utcnow()
    member.suspension_reason = reason
    end_all_sessions(member.id)
    record(by, "member.suspend", f"member:{member.id}", reason=reason)
    db.session.commit()
    signals.member_suspended.send(current_app._get_current_object(), member_id=member.id, by_id=by.id)


def unsuspend(member: Member, by: Member) -> None:
    member.suspended_at = None
    member.suspension_reason = None
    record(by, "member.unsuspend", f"member:{member.id}")
    db.session.commit()
