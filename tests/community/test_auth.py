"""Joining and leaving: registration, login, logout, password reset, CSRF and rate limits."""

import re
import time

import pytest
from sqlalchemy import select

from community.auth import service
from community.extensions import db
from community.models import ConsentRecord, Member, MemberSession
from tests.conftest import PASSWORD

GOOD = "lilas-sous-la-pluie-42"


def register(client, **overrides):
    data = {"display_name": "Ana Lopez", "handle": "ana", "email": "ana@example.org", "password": GOOD,
            "consent": "y"}
    data.update(overrides)
    return client.post("/auth/register", data=data)


def test_register_creates_member_records_consent_and_logs_in(client):
    response = register(client)
    assert response.status_code == 302
    member = db.session.scalar(select(Member).where(Member.handle == "ana"))
    assert member.email == "ana@example.org" and member.role == "member"
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.member_id == member.id))
    assert consent.purpose == "processing_notice" and consent.given
    assert client.get("/profile/edit").status_code == 200


def test_register_page_shows_processing_notice(client):
    page = client.get("/auth/register", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Processing notice" in page and "political opinions" in page


@pytest.mark.parametrize(
    ("overrides", "field_text"),
    [
        ({"password": "short"}, "at least 10"),
        ({"password": "password123"}, "too common"),
        ({"password": "1234567890"}, "too common"),
        ({"handle": "Ana Lopez!"}, "lower-case letters"),
        ({"email": "not-an-email"}, "email"),
        ({"consent": ""}, "processing notice"),
    ],
)
def test_register_refuses_bad_input_and_keeps_values(client, overrides, field_text):
    response = register(client, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_text.lower() in page.lower()
    assert 'value="Ana Lopez"' in page  # what was typed comes back
    assert db.session.scalar(select(Member)) is None


def test_register_refuses_duplicate_email_and_handle(client, make_member):
    make_member(handle="ana", email="ana@example.org")
    response = register(client, handle="ANA", email="Ana@Example.org")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already taken" in page and "already uses this e-mail" in page


def test_password_policy_has_no_composition_rules():
    assert service.password_problem("all lower case words here") is None
    assert service.password_problem("azertyuiop") is not None  # common
    assert service.password_problem("x" * 12) is not None  # too few distinct characters


def test_login_with_handle_or_email_and_wrong_password(client, make_member):
    member = make_member(handle="bea")
    bad = client.post("/auth/login", data={"identifier": "bea", "password": "wrong password!"})
    assert bad.status_code == 422 and "Wrong" in bad.get_data(as_text=True)
    response = client.post("/auth/login", data={"identifier": member.email.upper(), "password": PASSWORD})
    assert response.status_code == 302


def test_logout_makes_the_old_cookie_useless(app, client, make_member, login):
    member = make_member()
    login(client, member)
    cookie = client.get_cookie("session").value
    assert client.post("/auth/logout").status_code == 302
    assert db.session.scalar(select(MemberSession)) is None
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.get("/profile/edit")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_logout_requires_post(client, make_member, login):
    login(client, make_member())
    assert client.get("/auth/logout").status_code == 405


def test_suspended_member_cannot_log_in(client, make_member):
    from community.timeutil import utcnow

    member = make_member(suspended_at=utcnow())
    response = client.post("/auth/login", data={"identifier": member.handle, "password": PASSWORD})
    assert response.status_code == 422 and "suspended" in response.get_data(as_text=True)


def _reset_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)


def test_password_reset_by_email_is_single_use(client, make_member, smtp_server):
    make_member(handle="carla", email="carla@example.org")
    response = client.post("/auth/forgot", data={"email": "carla@example.org"})
    assert response.status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "carla@example.org"
    link = _reset_link(message)
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": "nouveau-mot-de-passe-long", "confirm": "nouveau-mot-de-passe-long"})
    assert done.status_code == 302
    smtp_server.wait_for(2)  # the "password changed" security mail
    response = client.post("/auth/login", data={"identifier": "carla", "password": "nouveau-mot-de-passe-long"})
    assert response.status_code == 302
    reused = client.get(link)
    assert reused.status_code == 400 and "already used" in reused.get_data(as_text=True)


def test_password_reset_link_expires(app, client, make_member):
    member = make_member()
    token = service.reset_token(member)
    app.config["TERREAU_RESET_TOKEN_MAX_AGE"] = -1
    response = client.get(f"/auth/reset/{token}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_password_reset_ends_every_session(app, client, make_member, login):
    member = make_member()
    login(client, member)
    token = service.reset_token(member)
    other = app.test_client()
    new_password = "une-phrase-assez-longue"
    other.post(f"/auth/reset/{token}", data={"password": new_password, "confirm": new_password})
    assert client.get("/profile/edit").status_code == 302


def test_forgot_does_not_reveal_unknown_addresses(client, smtp_server):
    response = client.post("/auth/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert "If an account uses this address" in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_reset_form_errors_keep_the_page(client, make_member):
    token = service.reset_token(make_member())
    response = client.post(f"/auth/reset/{token}", data={"password": "une-phrase-assez-longue", "confirm": "autre"})
    assert response.status_code == 422 and "differ" in response.get_data(as_text=True)


def test_open_redirect_is_refused(client, make_member):
    member = make_member()
    response = client.post("/auth/login?next=https://evil.example/", data={
        "identifier": member.handle, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_passwords_are_hashed_with_scrypt_by_default(tmp_path):
    """The test suite uses cheaper pbkdf2 (conftest); a real installation keeps scrypt."""
    from community import create_app
    from community.auth.service import hash_password

    app = create_app({"INSTANCE_PATH": tmp_path, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    with app.app_context():
        assert hash_password("correct horse battery staple").startswith("scrypt:")


def test_a_request_that_leaves_the_session_alone_sets_no_cookie(app, client, make_member, login):
    """Otherwise a background fetch racing a form's redirect could overwrite its flashed message."""
    login(client, make_member(handle="quiet"))
    client.get("/")  # the first page pops the welcome message and stores a CSRF token: the session changes
    for path in ("/activity/since?after=0", "/notifications.json", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path


def test_a_verified_session_cookie_is_kept_but_still_checked(app, client, make_member, login, monkeypatch):
    """community.web.KeptCookieSessionInterface: a cookie verified once is not verified again, a
    changed cookie is verified (and refused), and the age limit still applies to a kept one."""
    from itsdangerous import URLSafeTimedSerializer

    from community import web

    login(client, make_member(handle="kept"))
    client.get("/")
    assert client.get("/notifications").status_code == 200  # this cookie is now kept
    verified = []
    real_loads = URLSafeTimedSerializer.loads
    monkeypatch.setattr(URLSafeTimedSerializer, "loads",
                        lambda self, *a, **k: verified.append(1) or real_loads(self, *a, **k))
    assert client.get("/notifications").status_code == 200
    assert verified == []

    cookie = client.get_cookie("session").value
    forged = app.test_client()
    forged.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert forged.get("/notifications").status_code == 302  # refused: to the login page
    assert verified == [1]

    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(web.time, "time", lambda: later)
    assert client.get("/notifications").status_code == 302  # too old, kept or not


def test_a_kept_session_is_never_shared_between_requests(app):
    """Each request gets its own session: what one request changes is not seen by the next one
    that sends the same cookie, and a payload holding a list (flashed messages) is not kept."""
    interface = app.session_interface
    serializer = interface.get_signing_serializer(app)
    plain = serializer.dumps({"lang": "fr"})
    with_list = serializer.dumps({"_flashes": [("info", "Bonjour")]})
    for value in (plain, with_list):
        with app.test_request_context("/", headers={"Cookie": f"session={value}"}) as ctx:
            first = interface.open_session(app, ctx.request)
            first["lang"] = "en"
            first.setdefault("_flashes", []).append(("info", "Encore"))
        with app.test_request_context("/", headers={"Cookie": f"session={value}"}) as ctx:
            second = interface.open_session(app, ctx.request)
        assert second.get("lang") in ("fr", None)
        assert second.get("_flashes") in (None, [("info", "Bonjour")])


def test_the_login_reads_module_switches_and_settings_as_the_registry_would(app, client, make_member, login):
    """community.auth.service._load_member brings the module switches and stored settings with the
    member (registry.stored_columns): they must equal what registry.read_stored() reads, for any
    JSON value, and then no other statement is needed for them in that request."""
    from flask import g

    from community.database import QueryCounter
    from community.models.settings import ModuleState, Setting
    from community.registry import registry
    from community.settings import _all_stored

    member = make_member(handle="reader")
    login(client, member)
    db.session.add_all([
        ModuleState(name="coordination", enabled=False),
        Setting(module="influence", key="probe", value={"texte": "é\u0001,=;\n", "n": [1, 2.5, None, True]}),
        Setting(module="influence", key="nothing", value=None),
        Setting(module="core", key="other", value="plain"),
    ])
    db.session.commit()
    sid = db.session.scalar(select(MemberSession.id).where(MemberSession.member_id == member.id))
    with app.test_request_context("/"):
        loaded = service._load_member(f"{member.id}:{sid}")
        assert loaded is not None and loaded.id == member.id
        with QueryCounter(db.engine) as counter:
            states, stored = dict(registry.enabled_map()), _all_stored()
            assert registry.is_enabled("coordination") is False and registry.is_enabled("influence")
        assert counter.count == 0
        del g.terreau_modules, g.terreau_settings
        flags, expected = registry.read_stored()
        assert stored == expected and states == registry.effective(registry._flags(flags))
        assert stored["influence"]["probe"] == {"texte": "é\u0001,=;\n", "n": [1, 2.5, None, True]}
        db.session.remove()
    # a refused session reads nothing for the registry: the request reads it the usual way
    with app.test_request_context("/"):
        assert service._load_member(f"{member.id}:not-a-session") is None
        assert registry.is_enabled("coordination") is False
        db.session.remove()
