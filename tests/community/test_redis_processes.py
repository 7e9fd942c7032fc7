"""Scale-out (ARCHITECTURE §3-4): with TERREAU_REDIS_URL set, server processes share Socket.IO
events through the Redis message queue. Two real ``python app.py`` processes on one instance:
a member connected to the second hears what happens on the first, and a logout on the first
closes the member's socket on the second."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
import requests
import socketio

from tests.conftest import PASSWORD, free_port

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TERREAU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHANNEL = "flask-socketio"  # Flask-SocketIO's default message-queue channel
WAIT = 20  # seconds: a generous bound for anything to arrive, never a measured duration
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is unreachable at {REDIS_URL} ({exc}); set TERREAU_TEST_REDIS_URL")
    yield client
    client.close()


def _wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


class Servers:
    def __init__(self, urls: list[str], logs: list[Path]):
        self.urls, self.logs = urls, logs

    def output(self) -> str:
        """The servers' logs, to explain a failure."""
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in self.logs)


@pytest.fixture(scope="module")
def servers(redis_client, tmp_path_factory):
    """Two server processes sharing one SQLite instance and the Redis queue; alice and bruno exist."""
    instance = tmp_path_factory.mktemp("instance")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TERREAU_", "FLASK_"))}
    env.update(TERREAU_INSTANCE=str(instance), TERREAU_SECRET_KEY="shared-between-processes",
               TERREAU_REDIS_URL=REDIS_URL, TERREAU_RATELIMIT_ENABLED="0", PYTHONUNBUFFERED="1")

    def flask(*args, stdin=""):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                              input=stdin, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    flask("db", "upgrade")
    flask("create-admin", "alice@example.org", "--handle", "alice", stdin=PASSWORD + "\n")
    flask("create-admin", "bruno@example.org", "--handle", "bruno", stdin=PASSWORD + "\n")

    processes, urls = [], []
    try:
        for n in (1, 2):
            port = free_port()
            log = open(instance / f"server{n}.log", "w")  # noqa: SIM115 - closed in the finally below
            processes.append((subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT,
                                               env=env, stdout=log, stderr=subprocess.STDOUT), log))
            urls.append(f"http://127.0.0.1:{port}")
        for (process, log), url in zip(processes, urls, strict=True):
            _wait_until(lambda p=process, u=url: p.poll() is not None or _healthy(u), f"{url}/health")
            assert process.poll() is None, Path(log.name).read_text()
        yield Servers(urls, [Path(log.name) for _, log in processes])
    finally:
        for process, _log in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def logged_in(base: str, handle: str) -> requests.Session:
    """A browser-like session logged in through the real form, CSRF token included."""
    browser = requests.Session()
    page = browser.get(f"{base}/auth/login", timeout=10)
    token = CSRF_RE.search(page.text).group(1)
    response = browser.post(f"{base}/auth/login", timeout=10, allow_redirects=False,
                            data={"identifier": handle, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text[:500]
    return browser


def post_form(browser: requests.Session, base: str, page: str, action: str) -> requests.Response:
    """POST ``action`` as the form on ``page`` would, with that page's CSRF token."""
    token = CSRF_RE.search(browser.get(f"{base}{page}", timeout=10).text).group(1)
    return browser.post(f"{base}{action}", data={"csrf_token": token}, timeout=10, allow_redirects=False)


class Listener:
    """A real python-socketio client that records the events it receives."""

    def __init__(self):
        self.client = socketio.Client(reconnection=False)
        self.notifications: list[dict] = []
        self.notified = threading.Event()
        self.disconnected = threading.Event()
        self.client.on("notification", self._on_notification)
        self.client.on("disconnect", self._on_disconnect)

    def _on_notification(self, data):
        self.notifications.append(data)
        self.notified.set()

    def _on_disconnect(self, *reason):
        self.disconnected.set()

    def connect(self, base: str, cookies: dict) -> None:
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.client.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=WAIT)


def test_an_event_on_one_process_reaches_a_socket_on_the_other(servers, redis_client):
    first, second = servers.urls
    browsers = [bruno := logged_in(second, "bruno")]
    login_cookies = bruno.cookies.get_dict()
    listeners_before = redis_client.pubsub_numsub(CHANNEL)[0][1]
    listener = Listener()
    try:
        listener.connect(second, login_cookies)
        # The second process subscribes to the queue when its first client connects.
        _wait_until(lambda: redis_client.pubsub_numsub(CHANNEL)[0][1] > listeners_before,
                    "the second process to subscribe to the Redis queue")

        browsers.append(alice := logged_in(first, "alice"))
        followed = post_form(alice, first, "/members/bruno", "/members/bruno/follow")
        assert followed.headers["Location"] == "/members/bruno"  # done, not sent to the login page

        assert listener.notified.wait(WAIT), "bruno's socket heard nothing\n" + servers.output()
        assert listener.notifications[0]["unread"] == 1
        assert isinstance(listener.notifications[0]["activity_id"], int)

        # Logging out on the first process (same cookie: same login session) closes the socket
        # that lives in the second process, through the queue.
        logged_out = post_form(bruno, first, "/", "/auth/logout")
        assert logged_out.headers["Location"] == "/auth/login"  # a real logout, not a login_required bounce
        assert listener.disconnected.wait(WAIT), "bruno's socket stayed open\n" + servers.output()

        with pytest.raises(socketio.exceptions.ConnectionError):
            Listener().connect(second, login_cookies)  # the old cookie of the ended login
    finally:
        listener.client.disconnect()
        for browser in browsers:
            browser.close()
