"""A post appears live in a follower's open feed: a socket nudge, then the feed's catch-up JSON."""

from community.extensions import socketio
from community.members.service import follow
from tests.conftest import PASSWORD


def _socket(app, member):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.post("/auth/login", data={"identifier": member.handle, "password": PASSWORD}).status_code == 302
    with app.app_context():  # its own context, as in production (not the test's shared ``g``)
        return client, socketio.test_client(app, flask_test_client=client)


def test_a_post_reaches_a_followers_open_feed_live(app, make_member, make_post):
    author, fan, stranger = make_member(handle="author"), make_member(handle="fan"), make_member(handle="stranger")
    follow(fan, author)
    fan_http, fan_socket = _socket(app, fan)
    _stranger_http, stranger_socket = _socket(app, stranger)
    last_seen = fan_http.get("/influence/feed/since?after=0").get_json()["items"]
    since = max([item["id"] for item in last_seen], default=0)
    fan_socket.get_received()
    stranger_socket.get_received()

    make_post(author, "Nouvelle du jour #live")

    events = [e for e in fan_socket.get_received() if e["name"] == "activity"]
    assert [e["args"][0]["verb"] for e in events] == ["influence.post"]
    assert not [e for e in stranger_socket.get_received() if e["name"] == "activity"]
    items = fan_http.get(f"/influence/feed/since?after={since}").get_json()["items"]
    assert len(items) == 1 and "Nouvelle du jour" in items[0]["html"]
    assert items[0]["id"] == events[0]["args"][0]["id"]
    fan_socket.disconnect()
    stranger_socket.disconnect()


def test_live_feed_json_refuses_a_disabled_module(app, make_member):
    from community.registry import registry

    member = make_member()
    client, sock = _socket(app, member)
    registry.set_enabled("influence", False)
    assert client.get("/influence/feed/since?after=0").status_code == 404
    registry.set_enabled("influence", True)
    sock.disconnect()
