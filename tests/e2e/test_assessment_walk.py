"""The self-assessment dashboard in a real browser: on a small community built through the app
(members, follows, posts), an admin sees both scores, the stage, recommendations and three visible,
named SVG charts with their tables; "Measure now" keeps a snapshot the history shows; a plain
member is refused the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .helpers import admin_page, follow, submit

pytestmark = pytest.mark.e2e

SCREENSHOT = Path("/tmp/assessment.png")
POSTS = {"ana": "Réunion jeudi soir pour préparer le marché #Quartier",
         "bruno": "Qui peut tenir la table de 10 h à midi samedi ?"}
FOLLOWS = [("ana", "bruno"), ("bruno", "ana"), ("chloe", "ana")]


def publish(page, body: str) -> None:
    from playwright.sync_api import expect

    page.goto("/influence/")
    page.fill("textarea[name=body]", body)
    page.select_option("select[name=audience]", "members")
    submit(page, "Publish")
    # Not the flash: the open feed's own live fetch may race the redirect for the session cookie.
    expect(page.locator("#stream .post").filter(has_text=body.split(" #")[0])).to_have_count(1)


def accessible_name(chart) -> str:
    """The text of the elements the chart's aria-labelledby points to (or its aria-label)."""
    return chart.evaluate("""svg => {
        const ids = (svg.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
        const named = ids.map(id => document.getElementById(id)).filter(Boolean).map(n => n.textContent.trim());
        return named.length ? named.join(' ') : (svg.getAttribute('aria-label') || '');
    }""")


def check_chart(page, selector: str, table_selector: str, viewport_width: int) -> str:
    """The chart is drawn (non-empty box inside the viewport's width), named, and has its text table."""
    from playwright.sync_api import expect

    chart = page.locator(selector)
    expect(chart).to_have_count(1)
    expect(chart).to_be_visible()
    assert chart.get_attribute("role") == "img"
    assert chart.locator("title").count() == 1 and (chart.locator("title").text_content() or "").strip()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 100, f"{selector} is squashed: {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width, f"{selector} overflows: {box}"
    # Every label is drawn inside the chart's box (none clipped by the viewBox) and no two overlap.
    problems = chart.evaluate("""svg => {
        const outer = svg.getBoundingClientRect();
        const boxes = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()]);
        const out = boxes.filter(([, r]) => r.width === 0 || r.left < outer.left - 1 || r.right > outer.right + 1
                                            || r.top < outer.top - 1 || r.bottom > outer.bottom + 1);
        const overlaps = [];
        boxes.forEach(([a, r], i) => boxes.slice(i + 1).forEach(([b, q]) => {
            if (r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1 && q.top < r.bottom - 1) {
                overlaps.push(a + ' / ' + b);
            }
        }));
        return {clipped: out.map(([t]) => t), overlapping: overlaps, count: boxes.length};
    }""")
    assert problems["count"] > 0 and not problems["clipped"] and not problems["overlapping"], (selector, problems)
    assert page.locator(table_selector).count() == 1, f"{selector} has no text alternative {table_selector}"
    name = accessible_name(chart)
    assert name, f"{selector} has no accessible name"
    return name


def test_admin_dashboard_charts_snapshot_and_member_refused(server, new_context, registered_page, requests_seen):
    from playwright.sync_api import expect

    # A small community built through the app: three members, follows, two posts.
    pages = {"ana": registered_page("Ana Lopes", "ana"), "bruno": registered_page("Bruno Marchand", "bruno"),
             "chloe": registered_page("Chloé Petit", "chloe")}
    for who, whom in FOLLOWS:
        follow(pages[who], whom)
    for who, body in POSTS.items():
        publish(pages[who], body)

    # A plain member is refused the dashboard and the measure.
    chloe = pages["chloe"]
    assert chloe.goto("/admin/assessment").status in (403, 404)
    expect(chloe.locator("#score-social")).to_have_count(0)
    chloe.goto("/influence/")
    token = chloe.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = chloe.request.post(f"{server.url}/admin/assessment/snapshot", form={"csrf_token": token})
    assert refused.status in (403, 404)

    admin = admin_page(new_context, server)
    assert admin.goto("/admin/assessment").status == 200

    # Nothing kept yet: the page measures live, says so, and shows no history chart.
    expect(admin.locator("#assessment-when")).to_contain_text("Measured live; no snapshot has been kept yet.")
    expect(admin.locator("svg.chart.history")).to_have_count(0)
    expect(admin.locator("#assessment-empty")).to_have_count(0)

    # "Measure now" (a POST with its CSRF token) keeps today's snapshot; the page shows it.
    with admin.expect_navigation():
        admin.get_by_role("button", name="Measure now and keep today's snapshot").click()
    assert admin.url.endswith("/admin/assessment")
    expect(admin.locator(".flash--success")).to_contain_text("Measured now: social potential")
    expect(admin.locator("#assessment-when")).to_contain_text("Snapshot of ")
    expect(admin.locator("#assessment-when")).to_contain_text("4 members")

    # Both scores out of 100, the stage and at least one recommendation.
    scores = {}
    for key in ("social", "expression", "connection"):
        text = admin.locator(f"#score-{key}").inner_text()
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*/100", text.strip())
        assert match, f"#score-{key} reads {text!r}"
        scores[key] = float(match.group(1))
        assert 0 <= scores[key] <= 100
    assert scores["expression"] > 0 and scores["connection"] > 0, scores
    expect(admin.locator("#stage")).to_have_text(re.compile(r"^(Diffusion|Communities|Network)$"))
    expect(admin.locator("ol.recommendations li").first).to_be_visible()

    # The three charts are drawn, named and come with their tables.
    width = admin.viewport_size["width"]
    assert "Radar of the usage metrics" in check_chart(admin, "svg.chart.radar", "#metrics-table", width)
    assert "influence" in check_chart(admin, "svg.chart.triangle", "#family-table", width)
    history_name = check_chart(admin, "svg.chart.history", "#history-table", width)
    assert "1 snapshots" in history_name or "1 snapshot" in history_name, history_name
    expect(admin.locator("svg.chart.radar text.chart__label")).to_have_count(9)
    expect(admin.locator("svg.chart.radar polygon.radar__shape")).to_have_count(1)
    expect(admin.locator("svg.chart.triangle circle.triangle__point")).to_have_count(1)  # posts: a centre
    expect(admin.locator("#family-table tr.is-centre")).to_have_count(1)

    # The history shows the snapshot: a dot per series, and a row with the score shown above.
    expect(admin.locator("svg.chart.history circle.history__dot")).to_have_count(3)
    rows = admin.locator("#history-table tbody tr")
    expect(rows).to_have_count(1)
    admin.locator("details:has(#history-table) > summary").click()
    expect(rows.first.locator("td").first).to_have_text(admin.locator("#score-social").inner_text().split("/")[0])
    expect(rows.first.locator("td").nth(4)).to_have_text("4")

    admin.screenshot(path=str(SCREENSHOT), full_page=True)

    # In French (longer labels) and on a phone's width, the charts still fit and no label is clipped.
    with admin.expect_navigation():
        admin.locator('.lang-switch button[value="fr"]').click()
    expect(admin.locator("html")).to_have_attribute("lang", "fr")
    admin.set_viewport_size({"width": 390, "height": 800})
    for chart, table in (("radar", "#metrics-table"), ("triangle", "#family-table"), ("history", "#history-table")):
        check_chart(admin, f"svg.chart.{chart}", table, 390)
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    admin.screenshot(path=str(SCREENSHOT.with_name("assessment-phone-fr.png")), full_page=True)
    assert requests_seen.foreign() == []
