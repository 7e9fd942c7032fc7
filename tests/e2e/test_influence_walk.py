"""The influence walk in a real browser: a post with a mention and a hashtag → the author's
follower sees it arrive live → the mentioned member gets a notification → the topic page lists it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import follow, not_reloaded, submit

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/terreau-shots")
TEXT = "Marche samedi à 14 h, place de la République"
BODY = f"{TEXT} avec @elise : **venez nombreux** ! #Climat"


def test_post_reaches_follower_live_notifies_mention_and_lists_topic(registered_page, requests_seen):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    author = registered_page("Camille Durand", "camille")
    follower = registered_page("David Leroy", "david")
    mentioned = registered_page("Élise Martin", "elise")

    # David follows Camille from her profile, before opening his feed: his socket joins her room at connect.
    follow(follower, "camille")

    # David waits on his feed, Élise on her home page, both with a live socket.
    follower.goto("/influence/")
    expect(follower.locator("body")).to_have_attribute("data-socket", "connected")
    expect(follower.locator("#new-items")).to_be_hidden()
    expect(follower.locator("#stream")).not_to_contain_text(TEXT)
    follower_still_here = not_reloaded(follower)

    mentioned.goto("/")
    expect(mentioned.locator("body")).to_have_attribute("data-socket", "connected")
    badge = mentioned.locator("#unread-count")
    expect(badge).to_have_text("0")
    mentioned_still_here = not_reloaded(mentioned)

    # Camille publishes through the feed's form.
    author.goto("/influence/")
    author.fill("textarea[name=body]", BODY)
    author.select_option("select[name=audience]", "members")
    submit(author, "Publish")
    expect(author.locator(".flash--success")).to_be_visible()
    expect(author.locator("#stream")).to_contain_text(TEXT)

    # David's open feed announces it without a reload; showing it puts the post on top of the stream.
    new_items = follower.locator("#new-items")
    expect(new_items).to_be_visible()
    expect(follower.locator("#show-new")).to_have_text("1 new item — show")
    follower.screenshot(path=str(SHOTS / "influence-new-items.png"), full_page=True)
    follower.locator("#show-new").click()
    expect(new_items).to_be_hidden()
    post = follower.locator("#stream .post").first
    expect(post).to_contain_text(TEXT)
    expect(post.locator(".post__body strong")).to_have_text("venez nombreux")  # Markdown rendered
    expect(post.locator('.post__body a[href="/members/elise"]')).to_have_text("@elise")
    expect(post.locator('.post__body a[href="/influence/topics/climat"]')).to_have_text("#Climat")
    assert follower_still_here(), "the follower's page was reloaded"
    follower.screenshot(path=str(SHOTS / "influence-feed.png"), full_page=True)

    # Élise's badge turns to 1 on the same page, and her notifications name the mention.
    expect(badge).to_have_text("1")
    expect(badge).not_to_have_class("badge--empty")
    assert mentioned_still_here(), "the mentioned member's page was reloaded"
    mentioned.goto("/notifications")
    item = mentioned.locator("#notification-list li.notification--unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Camille Durand mentioned you")

    # The topic page lists the post, and the hashtag in the post links back to it.
    follower.goto("/influence/topics/climat")
    expect(follower.get_by_role("heading", level=1)).to_have_text("#climat")
    listed = follower.locator(".stream .post")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(TEXT)
    with follower.expect_navigation():
        listed.locator(".post__body a", has_text="#Climat").click()
    assert follower.url.endswith("/influence/topics/climat")
    expect(follower.locator(".stream .post")).to_contain_text(TEXT)

    # Nothing any page asked for left the test server.
    assert any(u.startswith("ws://") for u in requests_seen.urls), "no Socket.IO WebSocket was opened"
    assert requests_seen.foreign() == []
