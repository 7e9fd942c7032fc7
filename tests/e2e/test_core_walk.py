"""The core walk in a real browser: register → log in → follow → the followed member sees the
notification arrive live → an admin switches a module off (gone from the menu, 404) and on again."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import MEMBER_PASSWORD, admin_page, follow, log_in, not_reloaded, register

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/terreau-shots")
INFLUENCE_LINK = 'nav a[data-endpoint="influence.index"]'


def log_out(page) -> None:
    page.click("details.menu > summary")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    assert page.locator("body[data-member]").count() == 0


def switch_module(page, name: str, expect_enabled: bool) -> None:
    page.goto("/admin/modules")
    row = page.locator(f"#module-{name}")
    assert row.get_attribute("data-enabled") == ("0" if expect_enabled else "1")
    with page.expect_navigation():
        row.locator('button[name="toggle"]').click()
    page.goto("/admin/modules")
    assert page.locator(f"#module-{name}").get_attribute("data-enabled") == ("1" if expect_enabled else "0")


def test_register_follow_live_notification_and_module_switch(server, new_context, requests_seen):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)

    # Ana registers through the form, logs out, then logs in through the login form.
    ana = new_context().new_page()
    register(ana, "Ana Lopes", "ana")
    log_out(ana)
    log_in(ana, "ana", MEMBER_PASSWORD)

    # Bruno registers in his own browser context and waits on the home page, socket connected.
    bruno = new_context().new_page()
    register(bruno, "Bruno Marchand", "bruno")
    bruno.goto("/")
    expect(bruno.locator("body")).to_have_attribute("data-socket", "connected")
    badge = bruno.locator("#unread-count")
    expect(badge).to_have_text("0")
    bruno_still_here = not_reloaded(bruno)
    bruno.screenshot(path=str(SHOTS / "home.png"), full_page=True)

    # Ana follows Bruno from his profile.
    follow(ana, "bruno")

    # Bruno's badge turns to 1 on the same page, without any reload.
    expect(badge).to_have_text("1")
    assert bruno_still_here(), "the page was reloaded"
    expect(badge).not_to_have_class("badge--empty")

    bruno.goto("/notifications")
    item = bruno.locator("#notification-list li.notification--unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Ana Lopes follows you")
    expect(item.locator('a[href="/members/ana"]')).to_be_visible()

    # The admin switches "influence" off: its menu link goes and its page answers 404.
    admin = admin_page(new_context, server)
    admin.goto("/admin/modules")
    expect(admin.locator(INFLUENCE_LINK)).to_have_count(1)
    admin.screenshot(path=str(SHOTS / "admin-modules.png"), full_page=True)

    switch_module(admin, "influence", expect_enabled=False)
    expect(admin.locator(INFLUENCE_LINK)).to_have_count(0)
    assert admin.goto("/influence/").status == 404
    ana.goto("/")
    expect(ana.locator(INFLUENCE_LINK)).to_have_count(0)
    assert ana.goto("/influence/").status == 404

    # Switched on again, everything is back.
    switch_module(admin, "influence", expect_enabled=True)
    expect(admin.locator(INFLUENCE_LINK)).to_have_count(1)
    assert admin.goto("/influence/").status == 200
    ana.goto("/")
    expect(ana.locator(INFLUENCE_LINK)).to_have_count(1)
    assert ana.goto("/influence/").status == 200

    # Nothing any page asked for left the test server (no CDN, font, analytics…).
    assert requests_seen.urls, "no request was recorded: the request listener is not wired"
    assert any(u.startswith("ws://") for u in requests_seen.urls), "no Socket.IO WebSocket was opened"
    assert requests_seen.foreign() == []
