"""The events walk in a real browser: an organiser plans an event with 2 seats → three members
answer "going" → the third is on the waiting list → one gives up her seat → the third is promoted
and told live (her open page changes, her badge rises, without a reload) → the .ics downloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from .helpers import admin_page, not_reloaded, submit

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/terreau-shots")
TITLE = "Porte-à-porte à la Croix-Rousse"


def test_waiting_list_promotion_live_and_ics(server, new_context, registered_page, requests_seen, tmp_path):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    organiser = admin_page(new_context, server)

    # The organiser plans the event through the form: 2 seats, tomorrow at 18:30 in Paris.
    day = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    organiser.goto("/coordination/events/new")
    organiser.fill("#title", TITLE)
    organiser.select_option("#kind", "door_to_door")
    organiser.fill("#description", "Rendez-vous devant la **mairie du 4e**.")
    organiser.fill("#starts_at", f"{day}T18:30")
    organiser.fill("#ends_at", f"{day}T20:30")
    expect(organiser.locator("#timezone")).to_have_value("Europe/Paris")
    organiser.fill("#place_name", "Mairie du 4e")
    organiser.fill("#postal_code", "69004")
    organiser.fill("#commune", "Lyon")
    organiser.fill("#capacity", "2")
    submit(organiser, "Publish the event")
    expect(organiser.locator(".flash--success")).to_contain_text("The event is published.")
    expect(organiser.get_by_role("heading", level=1)).to_have_text(TITLE)
    event_url = organiser.url.split("#")[0]

    # Three members answer "going": the first two get the seats, the third the waiting list.
    ana = registered_page("Ana Lopes", "ana")
    bruno = registered_page("Bruno Marchand", "bruno")
    chloe = registered_page("Chloé Martin", "chloe")
    for page in (ana, bruno):
        page.goto(event_url)
        submit(page, "I'm going")
        expect(page.locator(".flash--success")).to_contain_text("You are going.")
        expect(page.locator("#answer-status")).to_have_text("You are going.")
    chloe.goto(event_url)
    expect(chloe.get_by_role("button", name="Join the waiting list", exact=True)).to_be_visible()
    submit(chloe, "Join the waiting list")
    expect(chloe.locator("#answer-status")).to_contain_text("You are on the waiting list (number 1).")
    expect(chloe.locator('[data-count="going"]')).to_have_text("2")
    expect(chloe.locator('[data-count="waiting"]')).to_have_text("1")

    # Chloé stays on the event page, socket connected; her unread count is noted.
    expect(chloe.locator("body")).to_have_attribute("data-socket", "connected")
    badge = chloe.locator("#unread-count")
    unread_before = int(badge.inner_text())
    chloe_still_here = not_reloaded(chloe)

    # Ana gives up her seat.
    submit(ana, "Give up my seat")
    expect(ana.locator(".flash--success")).to_contain_text("Your answer is saved: not going.")

    # On Chloé's open page, without a reload: she is going, the counts follow, her badge rises.
    expect(chloe.locator("#answer-status")).to_have_text("You are going.")
    expect(chloe.locator("#answer-live")).to_have_text("A seat freed: you are going.")
    expect(chloe.locator("#answer-live")).to_be_visible()
    expect(chloe.locator('[data-count="waiting"]')).to_have_text("0")
    expect(chloe.locator('[data-count="going"]')).to_have_text("2")
    expect(badge).not_to_have_text(str(unread_before))
    assert int(badge.inner_text()) == unread_before + 1
    assert chloe_still_here(), "Chloé's event page was reloaded"
    chloe.screenshot(path=str(SHOTS / "coordination-event-promoted.png"), full_page=True)
    chloe.goto("/notifications")
    expect(chloe.locator("#notification-list li").filter(
        has_text=f"A seat freed: you are going to “{TITLE}”")).to_have_count(1)

    # The organiser sees who comes (the members only see counts).
    organiser.goto(event_url.rstrip("/") + "/attendees")
    expect(organiser.locator("tr.attendee--going")).to_have_count(2)
    expect(organiser.locator("tr.attendee--going").filter(has_text="Chloé Martin")).to_have_count(1)
    bruno.goto(event_url.rstrip("/") + "/attendees")
    assert "Chloé Martin" not in bruno.content()

    # The .ics downloads, and a calendar client reads it.
    chloe.goto(event_url)
    with chloe.expect_download() as info:
        chloe.locator("#ics-link").click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == TITLE
    assert str(vevent["STATUS"]) == "CONFIRMED" and vevent["SEQUENCE"] == 0
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevent.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") == f"{day} 18:30"
    assert str(vevent["URL"]).endswith(event_url.split("127.0.0.1", 1)[1].split("/", 1)[1])
    assert "Chloé" not in path.read_text(encoding="utf-8")
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]

    # Nothing any page asked for left the test server.
    assert any(u.startswith("ws://") for u in requests_seen.urls), "no Socket.IO WebSocket was opened"
    assert requests_seen.foreign() == []
