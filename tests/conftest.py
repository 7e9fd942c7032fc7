"""Fixtures: a fresh app per test from the factory, on SQLite (a copy of a migrated template
database) or on PostgreSQL when TERREAU_TEST_DATABASE_URL is set (migrated once, truncated per test)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import create_engine, text

from community import create_app
from community.auth import service as accounts
from community.database import mark_writing
from community.extensions import db
from community.models import Member

PASSWORD = "correct horse battery staple"
PG_URL = os.environ.get("TERREAU_TEST_DATABASE_URL")


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """The schema, built once through the migrations (so the migrations themselves are tested)."""
    instance = tmp_path_factory.mktemp("template")
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        _migrate(PG_URL, instance)
        return PG_URL
    path = instance / "template.db"
    _migrate(f"sqlite:///{path}", instance)
    return path


@pytest.fixture
def database_url(database_template, tmp_path):
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            tables = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
            if tables:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return PG_URL
    path = tmp_path / "terreau.db"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def config_overrides():
    """Tests may override this fixture (or update the dict) to change the app's config."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, config_overrides):
    settings = {
        "INSTANCE_PATH": tmp_path / "instance",
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "TERREAU_SMTP_URL": None,
        "TERREAU_REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "TERREAU_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        # Real hashing, cheaper: scrypt's ~0.2 s per hash was most of the suite's time
        # (tests/community/test_auth.py checks that the default stays scrypt).
        "TERREAU_PASSWORD_HASH": "pbkdf2:sha256:1000",
    }
    settings.update(config_overrides)
    app = create_app(settings)
    app.extensions["terreau_has_members"] = True  # skip the first-run redirect unless a test wants it
    # Rankings are cached per process (modules/influence/ranking.py), and refreshed in the
    # background once expired: a value left by an earlier test's app would be served here, and
    # its refresh's statements would land in this test's query counts.
    from modules.influence import ranking

    ranking.clear_cache()
    app.test_client_class = CommittingClient
    with app.app_context():
        # The test's own context reads without SQLite's write lock, and CommittingClient ends its
        # transaction before each request, so requests never wait on it nor it read a stale snapshot.
        mark_writing(False)
        yield app
        db.session.remove()
        db.engine.dispose()


class CommittingClient(FlaskClient):
    """Each request runs in its own app context (own ``g``, own DB session), as in production,
    after the test's context has committed; without this, Flask would reuse the test's context."""

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    """A test client that asks for English pages (French is the default: see test_i18n.py)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def make_member(app):
    """make_member(role="organiser", handle="ana", **profile) -> a committed Member."""
    counter = {"n": 0}

    def make(role: str = "member", handle: str | None = None, password: str = PASSWORD, **fields) -> Member:
        counter["n"] += 1
        handle = handle or f"member{counter['n']}"
        member = accounts.create_member(handle=handle, display_name=fields.pop("display_name", handle.title()),
                                        email=fields.pop("email", f"{handle}@example.org"), password=password,
                                        role=role)
        for key, value in fields.items():
            setattr(member, key, value)
        db.session.commit()
        return member

    return make


@pytest.fixture
def organiser(make_member):
    """An organiser, @orga (a test module may override it with its own)."""
    return make_member(role="organiser", handle="orga")


@pytest.fixture
def english(app):
    """Messages read outside a request come in English (French is the default). Opt in with
    ``pytestmark = pytest.mark.usefixtures("english")``."""
    with force_locale("en"):
        yield


@pytest.fixture
def login(app):
    """login(client, member) logs the client in through the real form."""

    def do(client, member: Member, password: str = PASSWORD):
        response = client.post("/auth/login", data={"identifier": member.handle, "password": password})
        assert response.status_code == 302, response.data[:500]
        return client

    return do


@pytest.fixture
def visit(app, login):
    """visit(member) -> a new client logged in as member (one browser per member)."""

    def open_as(member):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return login(client, member)

    return open_as


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """Messages received by the loopback SMTP server."""

    def __init__(self):
        self.messages = []
        self.event = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        from email import message_from_bytes, policy

        with self.event:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.event.notify_all()
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 10) -> list:
        with self.event:
            self.event.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return self.messages


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on loopback; the app sends its mail there."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["TERREAU_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        yield mailbox
    finally:
        controller.stop()
