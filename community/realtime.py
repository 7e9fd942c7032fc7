"""Socket.IO: authenticated connections, rooms, rights re-checked per event, resync on reconnect.

Rooms: ``member:<id>`` (a member's own sockets), ``members`` (every logged-in socket, for
activities whose audience is "public" or "members"), and module rooms ``<module>:<kind>:<id>``
that a client asks to join and the module authorises through ``Module.rooms``.
Live events only say *that* something happened (ids); the client then reads what it may see
over HTTP or ``resync``, so rights are checked by the same code as the pages.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, disconnect, join_room, leave_room
from sqlalchemy import delete, select

from .database import mark_writing
from .extensions import db, socketio
from .models import Follow, MemberSession, MemberSocket, Notification
from .registry import registry

log = logging.getLogger("terreau.realtime")
ALL_MEMBERS_ROOM = "members"


def audience_room(audience: str) -> str:
    return ALL_MEMBERS_ROOM if audience in ("public", "members") else audience


def actor_room(member_id: int) -> str:
    """The room of a member's followers' sockets (and their own)."""
    return f"actor:{member_id}"


def emit_to_member(member_id: int, event: str, data: dict) -> None:
    socketio.emit(event, data, to=f"member:{member_id}")


def emit_activity(activity_id: int, verb: str, audience: str, actor_id: int | None = None) -> None:
    """Nudge the sockets that may want the activity: for public and members-wide activities, the
    actor's followers (not every connected member: each nudged page fetches what is new); for a
    member or module room, that room."""
    module = registry.module_of_verb(verb)
    payload = {"id": activity_id, "verb": verb, "module": module}
    if audience in ("public", "members"):
        if actor_id is not None:
            socketio.emit("activity", payload, to=actor_room(actor_id))
    else:
        socketio.emit("activity", payload, to=audience_room(audience))


def _session_is_valid() -> bool:
    """The socket's login session still exists (not logged out, not suspended)."""
    if not current_user.is_authenticated:
        return False
    row = db.session.execute(
        select(MemberSession.member_id).where(MemberSession.id == current_user.session_id)
    ).first()
    db.session.rollback()
    return row is not None and current_user.is_active


def member_event(handler):
    """Wrap a Socket.IO handler: refuse (and disconnect) a socket whose login has ended."""

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        if not _session_is_valid():
            disconnect()
            return {"ok": False, "error": "unauthorised"}
        return handler(*args, **kwargs)

    return wrapper


# Flask-SocketIO gives a new server (one per create_app) only the handlers declared before any
# server existed; modules declare theirs on import, while the first app is built, so init_app
# re-adds them to each later server.
_module_events: list[tuple[str, str | None, Callable]] = []


def module_event(module_name: str, event: str, namespace: str | None = None):
    """Register a module's socket event: refused while the module is off, rights re-checked."""

    def decorator(handler):
        @member_event
        @functools.wraps(handler)
        def wrapper(*args, **kwargs):
            if not registry.is_enabled(module_name):
                return {"ok": False, "error": "module_disabled"}
            return handler(*args, **kwargs)

        _module_events.append((event, namespace, wrapper))
        return socketio.on(event, namespace=namespace)(wrapper)

    return decorator


@socketio.on("connect")
def _on_connect(auth=None):
    # Before the first query (the user loader): this handler writes, and a SQLite transaction
    # that began deferred and has read fails at once with "database is locked" when it tries
    # to write after a concurrent commit; the client then never gets its CONNECT answer
    # (seen with many sockets connecting at once, bench/socketio_fanout.py).
    mark_writing()
    if not current_user.is_authenticated or not current_user.is_active:
        raise ConnectionRefusedError("unauthorised")
    member_id = current_user.id
    db.session.add(MemberSocket(sid=request.sid, member_id=member_id, session_id=current_user.session_id))
    db.session.commit()
    join_room(f"member:{member_id}")
    join_room(ALL_MEMBERS_ROOM)
    join_room(actor_room(member_id))
    # Each page load opens a new socket, so a new follow counts from the next page on.
    for followed_id in db.session.scalars(select(Follow.followed_id).where(Follow.follower_id == member_id)):
        join_room(actor_room(followed_id))
    for module in registry.enabled():
        for audience in module.audiences(current_user):
            join_room(audience_room(audience))
    return True


@socketio.on("disconnect")
def _on_disconnect(reason=None):
    mark_writing()
    db.session.execute(delete(MemberSocket).where(MemberSocket.sid == request.sid))
    db.session.commit()


@socketio.on("join")
@member_event
def _on_join(data):
    """Join a module room "<module>:<kind>:<id>" when the module is on and allows it."""
    room = str((data or {}).get("room", ""))
    parts = room.split(":", 2)
    if len(parts) != 3:
        return {"ok": False, "error": "bad_room"}
    name, kind, ident = parts
    module = registry.get(name)
    if module is None or not registry.is_enabled(name):
        return {"ok": False, "error": "module_disabled"}
    check = module.rooms.get(kind)
    if check is None or not check(current_user, ident):
        return {"ok": False, "error": "forbidden"}
    join_room(room)
    return {"ok": True}


@socketio.on("leave")
@member_event
def _on_leave(data):
    leave_room(str((data or {}).get("room", "")))
    return {"ok": True}


@socketio.on("resync")
@member_event
def _on_resync(data):
    """Everything since the client's last seen ids: unread count, notifications, activity ids."""
    from .activity import unread_count, visible_activities

    data = data or {}
    try:
        since_notification = int(data.get("notification", 0) or 0)
        since_activity = int(data.get("activity", 0) or 0)
    except (TypeError, ValueError):
        return {"ok": False, "error": "bad_request"}
    member = current_user._get_current_object()
    notifications = db.session.execute(
        select(Notification.id, Notification.activity_id)
        .where(Notification.member_id == member.id, Notification.id > since_notification)
        .order_by(Notification.id)
        .limit(200)
    ).all()
    activities = visible_activities(member, after=since_activity, limit=200)
    result = {
        "ok": True,
        "unread": unread_count(member.id),
        "notifications": [{"id": n.id, "activity_id": n.activity_id} for n in notifications],
        "activities": [{"id": a.id, "verb": a.verb, "module": a.module} for a in activities],
    }
    db.session.rollback()
    return result


def disconnect_member(member_id: int, session_id: str | None = None) -> None:
    """Disconnect a member's sockets in every process (all of them, or one login session's)."""
    query = select(MemberSocket.sid).where(MemberSocket.member_id == member_id)
    if session_id:
        query = query.where(MemberSocket.session_id == session_id)
    sids = list(db.session.scalars(query))
    if session_id is None:
        emit_to_member(member_id, "session_ended", {})
    for sid in sids:
        try:
            # With a message queue, python-socketio forwards this to the process holding the sid.
            socketio.server.disconnect(sid, namespace="/")
        except Exception:  # noqa: BLE001 - a sid whose process is gone: nothing to disconnect
            log.debug("socket %s already gone", sid)
    if sids:
        db.session.execute(delete(MemberSocket).where(MemberSocket.sid.in_(sids)))


def init_app(app) -> None:
    """Bind Socket.IO to the app, with the Redis message queue when TERREAU_REDIS_URL is set."""
    options = {
        "async_mode": "threading",
        "message_queue": app.config.get("TERREAU_REDIS_URL"),
        "cors_allowed_origins": app.config.get("TERREAU_SOCKETIO_CORS"),
        "manage_session": False,
    }
    socketio.init_app(app, **options)
    for event, namespace, handler in _module_events:
        socketio.on(event, namespace=namespace)(handler)


