"""Real time (ARCHITECTURE §3): only logged-in members connect; live events leave after the
commit; a reconnecting client resyncs what it missed; logout and suspension close sockets;
module events and rooms follow the module's on/off switch and its rights check."""

from __future__ import annotations

import pytest
from flask import g, request_started
from flask_login import current_user
from sqlalchemy import delete, func, select

from community import create_app, realtime
from community.activity import publish
from community.auth import service as accounts
from community.extensions import db, socketio
from community.models import Activity, MemberSession, MemberSocket, Notification
from community.registry import registry
from tests.conftest import PASSWORD

ECHO_EVENT = "influence.test_echo"


def forget_request_caches() -> None:
    """The app fixture keeps one app context open for the whole test, so Flask's ``g`` (where
    Flask-Login caches current_user and the registry caches module states) would be shared by
    every request and socket event of every client. A real server gives each its own ``g``."""
    g.pop("_login_user", None)
    g.pop("terreau_modules", None)


@pytest.fixture(autouse=True)
def fresh_globals_per_request(app):
    def clear(sender, **extra):
        forget_request_caches()

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


def connect(app, client=None):
    """A Socket.IO test client carrying ``client``'s cookies (the member's login)."""
    forget_request_caches()
    return socketio.test_client(app, flask_test_client=client)


def ask(sock, event, *args):
    """Emit an event as its socket's member and return the server's acknowledgement."""
    forget_request_caches()
    return sock.emit(event, *args, callback=True)


def received(sock, name):
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def sockets_of(member_id):
    return db.session.scalar(select(func.count()).select_from(MemberSocket).where(MemberSocket.member_id == member_id))


@pytest.fixture
def echo_event(app):
    """A test-only module event of "influence", registered the way a module registers one."""

    @realtime.module_event("influence", ECHO_EVENT)
    def _echo(data):
        return {"ok": True, "echo": data, "handle": current_user.handle}

    yield ECHO_EVENT
    realtime._module_events[:] = [e for e in realtime._module_events if e[0] != ECHO_EVENT]
    socketio.handlers[:] = [h for h in socketio.handlers if h[0] != ECHO_EVENT]
    socketio.server.handlers.get("/", {}).pop(ECHO_EVENT, None)


# --- connection --------------------------------------------------------------------------


def test_anonymous_connection_is_refused(app, client):
    assert not connect(app).is_connected()
    assert not connect(app, client).is_connected()
    assert db.session.scalar(select(func.count()).select_from(MemberSocket)) == 0


def test_logged_in_member_connects_and_is_recorded(app, client, make_member, login):
    ana = make_member(handle="ana")
    login(client, ana)
    sock = connect(app, client)
    assert sock.is_connected()
    assert sockets_of(ana.id) == 1
    sock.disconnect()
    assert sockets_of(ana.id) == 0


# --- live notifications ------------------------------------------------------------------


def test_follow_sends_a_notification_with_the_unread_count(app, make_member, login):
    ana, bob, chloe = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="chloe")
    ana_client, bob_client, chloe_client = (login(app.test_client(), m) for m in (ana, bob, chloe))
    ana_sock, chloe_sock = connect(app, ana_client), connect(app, chloe_client)
    chloe_sock.get_received()

    assert bob_client.post("/members/ana/follow").status_code == 302
    first = received(ana_sock, "notification")
    assert len(first) == 1 and first[0]["unread"] == 1
    follow_activity = db.session.scalar(select(Activity).where(Activity.actor_id == bob.id))
    assert first[0]["activity_id"] == follow_activity.id

    assert chloe_client.post("/members/ana/follow").status_code == 302
    second = received(ana_sock, "notification")
    assert len(second) == 1 and second[0]["unread"] == 2
    # The follow is for ana alone: chloe's socket hears nothing of bob's follow.
    assert received(chloe_sock, "notification") == []


def test_events_leave_only_after_the_commit(app, make_member, login):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    sock = connect(app, login(app.test_client(), ana))
    sock.get_received()

    publish(bob, "core.follow", ("member", ana.id), audience=f"member:{ana.id}", notify=[ana.id], commit=False)
    assert sock.get_received() == []
    db.session.rollback()
    assert sock.get_received() == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0

    activity = publish(bob, "core.follow", ("member", ana.id), audience=f"member:{ana.id}", notify=[ana.id],
                       commit=False)
    activity_id = activity.id
    assert sock.get_received() == []
    db.session.commit()
    events = {e["name"]: e["args"][0] for e in sock.get_received()}
    assert events["notification"] == {"activity_id": activity_id, "unread": 1}
    assert events["activity"]["id"] == activity_id


# --- resync after a reconnection ----------------------------------------------------------


def test_resync_returns_what_happened_while_offline(app, make_member, login):
    ana, bob, chloe = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="chloe")
    ana_client, bob_client, chloe_client = (login(app.test_client(), m) for m in (ana, bob, chloe))
    assert chloe_client.post("/members/bob/follow").status_code == 302  # before: ana has seen it all

    sock = connect(app, ana_client)
    state = ask(sock, "resync", {})
    assert state["ok"] and state["unread"] == 0 and state["notifications"] == []
    seen_notification = db.session.scalar(select(func.coalesce(func.max(Notification.id), 0)))
    seen_activity = db.session.scalar(select(func.max(Activity.id)))
    sock.disconnect()

    assert bob_client.post("/members/ana/follow").status_code == 302
    assert chloe_client.post("/members/ana/follow").status_code == 302
    assert bob_client.post("/members/chloe/follow").status_code == 302  # for chloe only

    sock = connect(app, ana_client)
    state = ask(sock, "resync", {"notification": seen_notification, "activity": seen_activity})
    missed = list(db.session.execute(
        select(Notification.id, Notification.activity_id).where(Notification.member_id == ana.id)
        .order_by(Notification.id)))
    assert len(missed) == 2
    assert state["ok"] and state["unread"] == 2
    assert state["notifications"] == [{"id": n.id, "activity_id": n.activity_id} for n in missed]
    assert sorted(a["id"] for a in state["activities"]) == [n.activity_id for n in missed]
    assert all(a["verb"] == "core.follow" and a["module"] == "core" for a in state["activities"])

    # Asking again from the newest ids returns nothing new.
    state = ask(sock, "resync", {"notification": missed[-1].id, "activity": missed[-1].activity_id})
    assert state["notifications"] == [] and state["activities"] == [] and state["unread"] == 2
    assert ask(sock, "resync", {"notification": "x"}) == {"ok": False, "error": "bad_request"}


# --- the end of a login closes its sockets --------------------------------------------------


def test_logout_disconnects_and_the_old_cookie_is_refused(app, make_member, login):
    ana = make_member(handle="ana")
    phone, laptop = login(app.test_client(), ana), login(app.test_client(), ana)
    old_cookie = phone.get_cookie("session").value
    phone_sock, laptop_sock = connect(app, phone), connect(app, laptop)
    assert phone_sock.is_connected() and laptop_sock.is_connected() and sockets_of(ana.id) == 2

    assert phone.post("/auth/logout").status_code == 302
    assert not phone_sock.is_connected()
    assert laptop_sock.is_connected()  # another login session of the same member stays open
    assert sockets_of(ana.id) == 1

    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert not connect(app, replay).is_connected()
    assert replay.get("/notifications").status_code == 302  # the HTTP side refuses it too


def test_suspension_disconnects_every_socket(app, make_member, login):
    admin, ana = make_member(role="admin", handle="admin"), make_member(handle="ana")
    phone, laptop = login(app.test_client(), ana), login(app.test_client(), ana)
    old_cookie = phone.get_cookie("session").value
    phone_sock, laptop_sock = connect(app, phone), connect(app, laptop)
    assert phone_sock.is_connected() and laptop_sock.is_connected()
    phone_sock.get_received()

    accounts.suspend(ana, "spam", by=admin)
    assert not phone_sock.is_connected() and not laptop_sock.is_connected()
    assert sockets_of(ana.id) == 0
    assert "session_ended" in [e["name"] for e in phone_sock.queue]
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert not connect(app, replay).is_connected()


def test_events_of_an_ended_login_are_refused(app, client, make_member, login):
    """Every handler re-checks the login, even if a socket outlived it."""
    ana = make_member(handle="ana")
    sock = connect(app, login(client, ana))
    db.session.execute(delete(MemberSession).where(MemberSession.member_id == ana.id))
    db.session.commit()
    assert ask(sock, "resync", {}) == {"ok": False, "error": "unauthorised"}
    assert not sock.is_connected()


# --- modules: events and rooms follow the switch -------------------------------------------


def test_module_event_is_refused_while_its_module_is_off(app, client, make_member, login, echo_event):
    ana = make_member(handle="ana")
    sock = connect(app, login(client, ana))
    assert ask(sock, echo_event, {"n": 1}) == {"ok": True, "echo": {"n": 1}, "handle": "ana"}

    registry.set_enabled("influence", False)
    assert ask(sock, echo_event, {"n": 2}) == {"ok": False, "error": "module_disabled"}

    registry.set_enabled("influence", True)
    assert ask(sock, echo_event, {"n": 3}) == {"ok": True, "echo": {"n": 3}, "handle": "ana"}


def test_module_event_is_refused_when_the_login_has_ended(app, client, make_member, login, echo_event):
    ana = make_member(handle="ana")
    sock = connect(app, login(client, ana))
    db.session.execute(delete(MemberSession).where(MemberSession.member_id == ana.id))
    db.session.commit()
    assert ask(sock, echo_event, {}) == {"ok": False, "error": "unauthorised"}


def test_module_events_reach_every_app_built_after_they_were_declared(app, make_member, echo_event):
    """Modules declare their events when they are imported, i.e. while the first app is being
    built; each later app (one per test, or per process) has a new Socket.IO server."""
    make_member(handle="ana")
    other = create_app({key: app.config[key] for key in (
        "INSTANCE_PATH", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "TESTING", "WTF_CSRF_ENABLED",
        "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "TERREAU_REDIS_URL", "TERREAU_SMTP_URL")})
    other.extensions["terreau_has_members"] = True
    try:
        client = other.test_client()
        assert client.post("/auth/login", data={"identifier": "ana", "password": PASSWORD}).status_code == 302
        sock = socketio.test_client(other, flask_test_client=client)
        assert sock.is_connected()
        assert sock.emit(echo_event, {"n": 1}, callback=True) == {"ok": True, "echo": {"n": 1}, "handle": "ana"}
        sock.disconnect()
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def test_rooms(app, monkeypatch):
    """influence lets members join "influence:test:<id>" rooms whose id is "open"."""
    monkeypatch.setitem(registry.get("influence").rooms, "test", lambda member, ident: ident == "open")


def test_join_of_a_module_room(app, client, make_member, login, test_rooms):
    ana = make_member(handle="ana")
    sock = connect(app, login(client, ana))
    assert ask(sock, "join", {"room": "influence:test:open"}) == {"ok": True}
    assert ask(sock, "join", {"room": "influence:test:closed"}) == {"ok": False, "error": "forbidden"}
    assert ask(sock, "join", {"room": "influence:unknown:open"}) == {"ok": False, "error": "forbidden"}
    assert ask(sock, "join", {"room": "nosuchmodule:test:open"}) == {"ok": False, "error": "module_disabled"}
    assert ask(sock, "join", {"room": "influence"}) == {"ok": False, "error": "bad_room"}

    sock.get_received()
    socketio.emit("ping", {"room": "open"}, to="influence:test:open")
    socketio.emit("ping", {"room": "closed"}, to="influence:test:closed")
    assert received(sock, "ping") == [{"room": "open"}]

    assert ask(sock, "leave", {"room": "influence:test:open"}) == {"ok": True}
    socketio.emit("ping", {"room": "open"}, to="influence:test:open")
    assert received(sock, "ping") == []


def test_join_is_refused_while_the_module_is_off(app, client, make_member, login, test_rooms):
    ana = make_member(handle="ana")
    sock = connect(app, login(client, ana))
    registry.set_enabled("influence", False)
    assert ask(sock, "join", {"room": "influence:test:open"}) == {"ok": False, "error": "module_disabled"}
    sock.get_received()
    socketio.emit("ping", {}, to="influence:test:open")
    assert received(sock, "ping") == []

    registry.set_enabled("influence", True)
    assert ask(sock, "join", {"room": "influence:test:open"}) == {"ok": True}

