"""Browser-test fixtures: a real Terreau server process on loopback and a headless Debian Chromium.

The server is started exactly as an operator would (``flask db upgrade``, ``flask create-admin``,
``python app.py --port``), on a throw-away instance directory, so the walk exercises real parts only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .helpers import register

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ADMIN_EMAIL = "admin@example.org"
ADMIN_HANDLE = "admin"
ADMIN_PASSWORD = "un mot de passe assez long pour l'admin"
START_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The walk runs on its own SQLite instance, never on a shared database or message queue.
    for name in ("TERREAU_DATABASE_URL", "TERREAU_REDIS_URL", "TERREAU_SMTP_URL", "FLASK_APP"):
        env.pop(name, None)
    env.update({
        "TERREAU_INSTANCE": str(instance),
        "TERREAU_SECRET_KEY": "e2e-secret-key-not-for-production",
        "TERREAU_RATELIMIT_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> None:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], check=False, cwd=ROOT, env=env,
                            input=stdin, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        pytest.fail(f"`flask {' '.join(args)}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def _wait_for_health(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /health within {START_TIMEOUT_S} s:\n{log.read_text()}")


@dataclass(frozen=True)
class Server:
    url: str
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `python app.py` process on a free loopback port; yields its base URL and admin login."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = _server_env(instance)
    _run(["db", "upgrade"], env)
    _run(["create-admin", ADMIN_EMAIL, "--handle", ADMIN_HANDLE], env, stdin=ADMIN_PASSWORD + "\n")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = instance / "server.log"
    with log.open("w") as log_file:
        process = subprocess.Popen([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            _wait_for_health(base_url, process, log)
            yield Server(url=base_url)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@dataclass
class RequestLog:
    """Every URL any page asked for (HTTP and WebSocket), to prove nothing left the test server."""

    origin: str
    urls: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        allowed = urlsplit(self.origin).netloc
        return [u for u in self.urls
                if urlsplit(u).scheme not in {"data", "blob", "about"} and urlsplit(u).netloc != allowed]


@pytest.fixture
def requests_seen(server):
    return RequestLog(origin=server.url)


@pytest.fixture
def new_context(browser, server, requests_seen):
    """new_context() -> a fresh browser context (own cookies) whose requests are all recorded.

    A request to any other host is recorded, then aborted, so the test can never reach the network."""
    contexts = []
    origin = urlsplit(server.url).netloc

    def route(route, request):
        if urlsplit(request.url).netloc == origin:
            route.continue_()
        else:
            route.abort()

    def watch(page):
        page.on("websocket", lambda ws: requests_seen.urls.append(ws.url))

    def make(locale: str = "en-GB"):
        context = browser.new_context(base_url=server.url, locale=locale, viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        context.on("request", lambda request: requests_seen.urls.append(request.url))
        context.on("page", watch)
        context.route("**/*", route)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def registered_page(new_context):
    """registered_page(display_name, handle) -> a page of a fresh context, signed up through the form.

    The member registers as anyone would (/auth/register, consent ticked) and stays logged in."""

    def make(display_name: str, handle: str, locale: str = "en-GB"):
        page = new_context(locale).new_page()
        register(page, display_name, handle)
        return page

    return make
