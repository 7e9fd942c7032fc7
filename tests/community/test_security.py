"""Security baseline: CSRF, rate limits, headers and CSP, no third-party hosts, inert Markdown, locked DB."""

import re

import pytest

from community.markdown import render_markdown
from tests.conftest import PASSWORD


@pytest.fixture
def config_overrides():
    return {"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True, "TERREAU_LIMIT_LOGIN": "3 per minute",
            "TERREAU_LIMIT_REGISTER": "2 per hour", "TERREAU_LIMIT_RESET": "2 per hour",
            "TERREAU_SQLITE_BUSY_TIMEOUT_MS": 200}


def csrf_token(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_post_without_csrf_token_gets_400(client, make_member):
    member = make_member()
    response = client.post("/auth/login", data={"identifier": member.handle, "password": PASSWORD})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True) or "formulaire" in response.get_data(as_text=True)


def test_post_with_csrf_token_works(client, make_member):
    member = make_member()
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"identifier": member.handle, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize(("path", "limit"), [("/auth/login", 3), ("/auth/register", 2), ("/auth/forgot", 2)])
def test_rate_limits_answer_429(client, path, limit):
    token = csrf_token(client, path)
    statuses = [client.post(path, data={"csrf_token": token, "identifier": "x", "password": "y",
                                        "email": "a@example.org"}).status_code for _ in range(limit + 1)]
    assert 429 not in statuses[:limit]
    assert statuses[limit] == 429


def test_security_headers_and_strict_csp(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_reference_no_third_party_host(app, client, make_member, login):
    member = make_member(role="admin")
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, member)
    for path in ["/", "/members", f"/members/{member.handle}", "/profile/edit", "/notifications", "/admin/modules",
                 "/admin/audit", "/moderation/", "/auth/notice"]:
        html = client.get(path).get_data(as_text=True)
        for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
            assert not re.match(r"^(https?:)?//", url), f"{path} references {url}"


def test_markdown_renders_scripts_inert():
    text = "<script>alert(1)</script> [x](javascript:alert(1)) **ok** <img src=x onerror=alert(1)>"
    html = str(render_markdown(text))
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, inert
    assert "<strong>ok</strong>" in html


def test_locked_database_gives_a_clear_503_and_loses_nothing(app, client, make_member, login):
    """A real second connection holds SQLite's write lock longer than busy_timeout."""
    import sqlite3

    from community.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking")
    member = make_member()
    member_id, name = member.id, member.display_name
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, member)
    db.session.commit()
    blocker = sqlite3.connect(db.engine.url.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        response = client.post("/profile/edit", data={"display_name": "Nouveau nom", "locale": "fr",
                                                      "timezone": "Europe/Paris"})
        assert response.status_code == 503
        assert "busy" in response.get_data(as_text=True).lower() or "occup" in response.get_data(as_text=True)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    db.session.remove()
    assert db.session.get(type(member), member_id).display_name == name
