"""The collaboration walk in a real browser: join a group → post on its wall → open a debate → a
second member's contribution appears live → accept an introduction (mutual follows, notification)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .helpers import not_reloaded, submit

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/terreau-shots")
GROUP = "Vélo à Villeurbanne"
WALL_TEXT = "Qui vient à la réunion de jeudi sur les pistes cyclables ?"
DEBATE_TITLE = "Faut-il piétonniser la place du marché ?"
CONTRIBUTION = "Oui : la place respire, les commerces y gagnent"
INTRODUCTION = "Bonjour Ana, on pourrait préparer la réunion de jeudi ensemble ?"


def test_group_wall_live_debate_and_accepted_introduction(registered_page, requests_seen):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    ana = registered_page("Ana Lopes", "ana")
    bruno = registered_page("Bruno Marchand", "bruno")

    # Ana lists herself in the directory, so members she does not follow may ask to meet her.
    ana.goto("/profile/edit")
    ana.check("#in_directory")
    submit(ana, "Save")
    expect(ana.locator(".flash--success")).to_be_visible()

    # Ana creates an open thematic group through the form: she is its animator.
    ana.goto("/collaboration/groups/new")
    ana.fill("#name", GROUP)
    ana.fill("#description", "On roule, on **débat**, on agit pour le vélo en ville.")
    ana.select_option("#kind", "thematic")
    ana.select_option("#join_policy", "open")
    submit(ana, "Create the group")
    expect(ana.get_by_role("heading", level=1)).to_have_text(GROUP)
    expect(ana.locator(".group-header__actions")).to_contain_text("You are an animator")
    group_url = ana.url.split("#")[0]

    # Bruno finds it in the list of groups, joins it and opens a thread on its wall.
    bruno.goto("/collaboration/groups")
    with bruno.expect_navigation():
        bruno.locator(".group-card").get_by_role("link", name=GROUP).click()
    assert bruno.url.split("#")[0] == group_url
    expect(bruno.locator("#wall-form")).to_have_count(0)  # not a member yet: no wall form
    submit(bruno, "Join the group")
    expect(bruno.locator(".flash--success")).to_contain_text(f"Welcome to {GROUP}")
    expect(bruno.locator(".group-header__actions")).to_contain_text("You are a member")
    bruno.fill("#wall-form textarea[name=body]", WALL_TEXT)
    submit(bruno, "Post on the wall")
    post = bruno.locator("#stream .wall-post").filter(has_text=WALL_TEXT)
    expect(post).to_have_count(1)
    expect(post.locator(".wall-post__header")).to_contain_text("Bruno Marchand")

    # Ana, animator, sees the message on the wall and opens a debate in her group.
    ana.goto(group_url)
    expect(ana.locator("#stream .wall-post").filter(has_text=WALL_TEXT)).to_have_count(1)
    ana.goto("/collaboration/debates/new")
    ana.fill("#title", DEBATE_TITLE)
    ana.fill("#question", "La mairie consulte : **pour**, **contre** ? Dites pourquoi.")
    ana.select_option("#group", label=GROUP)
    submit(ana, "Open the debate")
    expect(ana.locator(".flash--success")).to_contain_text("The debate is open.")
    expect(ana.get_by_role("heading", level=1)).to_have_text(DEBATE_TITLE)
    expect(ana.locator("#debate")).to_contain_text(f"Group: {GROUP}")
    debate_url = ana.url.split("#")[0]

    # Ana stays on the debate page, socket connected, nothing contributed yet.
    expect(ana.locator("body")).to_have_attribute("data-socket", "connected")
    for_count = ana.locator('#debate [data-count="for"]')
    expect(for_count).to_have_text("0")
    expect(ana.locator("#contributions-empty")).to_be_visible()
    ana_still_here = not_reloaded(ana)

    # Bruno, a member of the group, finds the debate in the list and contributes "for".
    bruno.goto("/collaboration/debates/")
    with bruno.expect_navigation():
        bruno.get_by_role("link", name=DEBATE_TITLE).click()
    assert bruno.url.split("#")[0] == debate_url
    bruno.check('input[name=stance][value="for"]')
    bruno.fill("#body", CONTRIBUTION)
    submit(bruno, "Publish my contribution")
    expect(bruno.locator(".flash--success")).to_contain_text("Your contribution is published.")
    expect(bruno.locator('#debate [data-count="for"]')).to_have_text("1")

    # On Ana's open page, without a reload, the contribution arrives and the "for" count is 1.
    live = ana.locator("#contributions li.contribution").filter(has_text=CONTRIBUTION)
    expect(live).to_have_count(1)
    expect(live).to_have_class(re.compile(r"\bcontribution--for\b"))
    expect(live.locator(".stance")).to_have_text("For")
    expect(live.locator(".contribution__header")).to_contain_text("Bruno Marchand")
    expect(for_count).to_have_text("1")
    expect(ana.locator('#debate [data-count="against"]')).to_have_text("0")
    expect(ana.locator('#debate [data-count="neutral"]')).to_have_text("0")
    expect(ana.locator("#contributions-empty")).to_have_count(0)
    expect(ana.locator("#debate-live")).to_have_text("A new contribution arrived.")
    assert ana_still_here(), "Ana's debate page was reloaded"
    ana.screenshot(path=str(SHOTS / "collaboration-debate.png"), full_page=True)

    # Bruno meets Ana among his people to meet (same group, listed) and asks to be put in touch.
    bruno.goto("/collaboration/people")
    suggestion = bruno.locator('li.person--suggestion[data-member="ana"]')
    expect(suggestion).to_be_visible()
    with bruno.expect_navigation():
        suggestion.get_by_role("link", name="Ask to be put in touch").click()
    assert bruno.url.endswith("/collaboration/people/ana/introduce")
    bruno.fill("#message", INTRODUCTION)
    submit(bruno, "Send the request")
    expect(bruno.locator(".flash--success")).to_contain_text("Your request is sent to Ana Lopes.")
    sent = bruno.locator(".introduction--pending").filter(has_text="Ana Lopes")
    expect(sent).to_contain_text("waiting for an answer")

    # Bruno waits on his introductions page with a live socket; his unread count is noted.
    expect(bruno.locator("body")).to_have_attribute("data-socket", "connected")
    badge = bruno.locator("#unread-count")
    unread_before = int(badge.inner_text())
    bruno_still_here = not_reloaded(bruno)

    # Ana answers on her introductions page: she reads Bruno's message and accepts.
    ana.goto("/collaboration/people/introductions")
    request = ana.locator("li.introduction").filter(has_text="Bruno Marchand")
    expect(request).to_have_count(1)
    expect(request.locator(".introduction__message")).to_have_text(INTRODUCTION)
    with ana.expect_navigation():
        request.get_by_role("button", name="Accept", exact=True).click()
    expect(ana.locator(".flash--success")).to_contain_text("You are now in touch with Bruno Marchand")
    expect(ana.locator("#to-answer + ul .empty")).to_have_text("No request waits for your answer.")

    # Bruno's badge rises on the same page, without a reload; the notification names the introduction.
    expect(badge).not_to_have_text(str(unread_before))
    assert int(badge.inner_text()) > unread_before
    expect(badge).not_to_have_class("badge--empty")
    assert bruno_still_here(), "Bruno's page was reloaded"
    bruno.goto("/notifications")
    expect(bruno.locator("#notification-list li.notification--unread")
           .filter(has_text="You and Ana Lopes are now in touch")).to_have_count(1)

    # They follow each other: each profile offers "Unfollow".
    ana.goto("/members/bruno")
    expect(ana.get_by_role("button", name="Unfollow", exact=True)).to_be_visible()
    bruno.goto("/members/ana")
    expect(bruno.get_by_role("button", name="Unfollow", exact=True)).to_be_visible()
    bruno.goto("/collaboration/people/introductions")
    expect(bruno.locator(".introduction--accepted").filter(has_text="Ana Lopes")).to_contain_text("accepted")

    # Nothing any page asked for left the test server.
    assert any(u.startswith("ws://") for u in requests_seen.urls), "no Socket.IO WebSocket was opened"
    assert requests_seen.foreign() == []
