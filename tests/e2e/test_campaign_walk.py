"""The campaign walk in a real browser: an organiser creates a door-to-door campaign with two sectors
and assigns one to a volunteer → the volunteer sends a field report from "my sectors" → the
organiser's open dashboard shows the progress live → the CSV export has the sector's totals."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from .helpers import admin_page, not_reloaded, submit

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/terreau-shots")
TITLE = "Porte-à-porte Croix-Rousse"
NORTH, SOUTH = "Croix-Rousse nord", "Croix-Rousse sud"
SECTORS = f"{NORTH} ; rues d'Austerlitz à Dumenge ; 60\n{SOUTH} ; ; 40"


def test_field_report_updates_open_dashboard_and_csv(server, new_context, registered_page, requests_seen):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    olga = registered_page("Olga Ferrand", "olga")
    victor = registered_page("Victor Nguyen", "victor")

    # The admin makes Olga an organiser on the members page.
    admin = admin_page(new_context, server)
    admin.goto("/admin/members?q=olga")
    row = admin.locator("tr").filter(has_text="@olga")
    row.locator("select[name=role]").select_option("organiser")
    with admin.expect_navigation():
        row.get_by_role("button", name="Change").click()
    expect(admin.locator(".flash--success")).to_contain_text("Olga Ferrand is now organiser")
    admin.context.close()

    # Olga creates the campaign through the form: door-to-door, goal 100.
    olga.goto("/coordination/campaigns/new")
    olga.fill("#title", TITLE)
    olga.select_option("#kind", "door_to_door")
    olga.fill("#goal", "100")
    olga.fill("#description", "On frappe, on **écoute**, on note seulement les nombres.")
    submit(olga, "Create the campaign")
    expect(olga.locator(".flash--success")).to_contain_text("The campaign is created.")
    assert re.search(r"/coordination/campaigns/\d+/manage$", olga.url), olga.url
    campaign_url = olga.url.removesuffix("/manage")

    # Two sectors, one per line, then the north one assigned to Victor.
    olga.fill("#sector_lines", SECTORS)
    submit(olga, "Add the sectors")
    expect(olga.locator(".flash--success")).to_contain_text("2 sector(s) added.")
    olga.select_option("#sector", label=NORTH)
    olga.fill("#handle", "victor")
    submit(olga, "Assign")
    expect(olga.locator(".flash--success")).to_contain_text("The sector is assigned.")
    sectors = olga.locator("#sectors table tbody tr")
    expect(sectors.filter(has_text=NORTH)).to_contain_text("Victor Nguyen")
    expect(sectors.filter(has_text=SOUTH)).to_contain_text("Nobody yet")

    # Olga keeps the campaign's dashboard open: nothing counted yet, socket connected.
    olga.goto(campaign_url)
    expect(olga.get_by_role("heading", level=1)).to_have_text(TITLE)
    progress = olga.locator("#campaign-progress")
    expect(progress.locator('[data-progress="done"]')).to_have_text("0")
    expect(progress.locator('[data-progress="percent"]')).to_have_text("0")
    north_row = progress.locator("tr[data-sector]").filter(has_text=NORTH)
    expect(north_row.locator('[data-count="doors_knocked"]')).to_have_text("0")
    expect(olga.locator("body")).to_have_attribute("data-socket", "connected")
    olga_still_here = not_reloaded(olga)

    # Victor finds his sector in "my sectors" and sends a field report for it.
    victor.goto("/coordination/mine")
    mine = victor.locator("article.campaign-mine").filter(has_text=TITLE)
    expect(mine).to_contain_text(NORTH)
    expect(mine).not_to_contain_text(SOUTH)
    with victor.expect_navigation():
        mine.get_by_role("link", name="Send a field report").click()
    expect(victor.locator("#sector option:checked")).to_have_text(NORTH)
    victor.fill("#doors_knocked", "30")
    victor.fill("#doors_opened", "12")
    victor.fill("#conversations", "7")
    submit(victor, "Send the report")
    expect(victor.locator(".flash--success")).to_contain_text("Thank you: your report is counted.")
    assert victor.url.split("#")[0] == campaign_url

    # Olga's open dashboard shows the progress without a reload.
    expect(progress.locator('[data-progress="done"]')).to_have_text("30")
    expect(progress.locator('[data-progress="percent"]')).to_have_text("30")
    expect(progress.locator('[data-progress="reports"]')).to_have_text("1")
    expect(progress.locator('[data-progress="bar"]')).to_have_attribute("value", "30")
    expect(north_row.locator('[data-count="doors_knocked"]')).to_have_text("30")
    expect(north_row.locator('[data-count="doors_opened"]')).to_have_text("12")
    expect(north_row.locator('[data-count="conversations"]')).to_have_text("7")
    expect(north_row.locator('[data-count="percent"]')).to_have_text("(50 %)")
    south_row = progress.locator("tr[data-sector]").filter(has_text=SOUTH)
    expect(south_row.locator('[data-count="doors_knocked"]')).to_have_text("0")
    expect(olga.locator("#campaign-live")).to_have_text("A new field report was counted.")
    assert olga_still_here(), "Olga's dashboard was reloaded"
    olga.screenshot(path=str(SHOTS / "campaign-dashboard.png"), full_page=True)

    # The volunteer may not export; the organiser downloads the CSV with the sector's totals.
    assert victor.request.get(f"{campaign_url}/export.csv").status == 403
    with olga.expect_download() as download_info:
        olga.get_by_role("link", name="Export as CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    by_sector = {r["sector"]: r for r in rows}
    assert set(by_sector) == {NORTH, SOUTH, "Total"}, rows
    north = by_sector[NORTH]
    assert (north["doors_knocked"], north["doors_opened"], north["conversations"], north["reports"]) == \
        ("30", "12", "7", "1"), north
    assert north["detail_target"] == "60"
    assert (by_sector[SOUTH]["doors_knocked"], by_sector[SOUTH]["reports"]) == ("0", "0")
    assert (by_sector["Total"]["detail_target"], by_sector["Total"]["doors_knocked"]) == ("100", "30")

    # Nothing any page asked for left the test server; the dashboard listened on a WebSocket.
    assert any(u.startswith("ws://") for u in requests_seen.urls), "no Socket.IO WebSocket was opened"
    assert requests_seen.foreign() == []
