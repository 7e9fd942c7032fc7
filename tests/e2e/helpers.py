"""What every browser walk does the same way, written once: sign up and log in through the real forms,
submit a form by its button, follow a member, and prove that an open page was never reloaded (so a
change on it came live, over the socket)."""

from __future__ import annotations

MEMBER_PASSWORD = "une phrase de passe facile à retenir"


def register(page, display_name: str, handle: str, password: str = MEMBER_PASSWORD) -> None:
    """Sign up through /auth/register as anyone would (consent ticked); the member stays logged in."""
    page.goto("/auth/register")
    page.fill("#display_name", display_name)
    page.fill("#handle", handle)
    page.fill("#email", f"{handle}@example.org")
    page.fill("#password", password)
    page.check("#consent")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    errors = page.locator(".field__error, .flash--error").all_inner_texts()
    assert "/auth/register" not in page.url, f"registration of {handle} refused: {errors}"
    assert page.locator("body[data-member]").count() == 1, f"registration of {handle} did not open a session"


def log_in(page, identifier: str, password: str) -> None:
    page.goto("/auth/login")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert page.locator("body[data-member]").count() == 1, f"{identifier} could not log in"


def admin_page(new_context, server):
    """A page of a fresh browser context, logged in as the server's admin."""
    page = new_context().new_page()
    log_in(page, server.admin_email, server.admin_password)
    return page


def submit(page, button_name: str) -> None:
    """Click a form's submit button by its label and wait for the page the server answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=button_name, exact=True).click()


def follow(page, handle: str) -> None:
    """Follow a member from their profile; the button then offers "Unfollow"."""
    from playwright.sync_api import expect

    page.goto(f"/members/{handle}")
    submit(page, "Follow")
    expect(page.get_by_role("button", name="Unfollow", exact=True)).to_be_visible()


def not_reloaded(page):
    """Mark the page; the mark survives only if the page is never reloaded or left."""
    page.evaluate("window.__terreauNotReloaded = true")
    return lambda: page.evaluate("window.__terreauNotReloaded === true")
