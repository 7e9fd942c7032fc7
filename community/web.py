"""Web wiring of the core: layout context, navigation, error pages, security headers, first run."""

from __future__ import annotations

import logging
import time

from flask import current_app, g, jsonify, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from . import fragments
from .activity import activity_label, activity_url, render_activity, unread_for
from .database import is_locked_error
from .extensions import db, login_manager
from .markdown import render_markdown
from .models import Member
from .registry import NavItem, registry
from .settings import settings_snapshot

log = logging.getLogger("terreau.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; media-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)

CORE_NAV = (
    NavItem("core.home", _l("Home"), "main", 0),
    NavItem("members.directory", _l("Members"), "main", 90),
    NavItem("members.profile", _l("My profile"), "user", 10),
    NavItem("members.edit_profile", _l("Edit my profile"), "user", 20),
    NavItem("core.notifications", _l("Notifications"), "user", 30),
    NavItem("members.email_preferences", _l("E-mail preferences"), "user", 40),
    NavItem("members.privacy", _l("My data"), "user", 50),
)
MODERATOR_NAV = (NavItem("moderation.queue", _l("Moderation"), "admin", 10),)
ADMIN_NAV = (
    NavItem("admin.modules", _l("Modules"), "admin", 20),
    NavItem("admin.members", _l("Members and roles"), "admin", 30),
    NavItem("admin.audit", _l("Audit log"), "admin", 40),
    NavItem("admin.assessment", _l("Social potential"), "admin", 50),
)

ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("Too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("Busy, try again"),
}
ERROR_TEXTS = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have the right to see this page."),
    404: _l("This page does not exist, or is not available."),
    405: _l("This address does not accept this kind of request."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts in a short time. Wait a little and try again."),
    500: _l("An unexpected error happened. It has been logged; please try again."),
    503: _l("The server is busy right now. Nothing was lost: try again in a moment."),
}


_NAV_KEPT: dict[tuple, dict[str, list[NavItem]]] = {}


def nav_items(member) -> dict[str, list[NavItem]]:
    """Menus by section: the core's, then each enabled module's, sorted by order. Kept per
    process for each role, set of enabled modules and stored settings, which are all menus may
    depend on (Module.nav_items)."""
    known = member.is_authenticated
    key = (known, member.role if known else None, tuple(m.name for m in registry.enabled()), settings_snapshot())
    found = _NAV_KEPT.get(key)
    if found is None:
        if len(_NAV_KEPT) > 256:  # settings changed many times in this process: start again
            _NAV_KEPT.clear()
        found = _NAV_KEPT[key] = _build_nav(member)
    return found


def _build_nav(member) -> dict[str, list[NavItem]]:
    items = list(CORE_NAV) if member.is_authenticated else [CORE_NAV[0]]
    if member.is_authenticated:
        for module in registry.enabled():
            items.extend(module.nav_items(member))
        if member.has_role("moderator"):
            items.extend(MODERATOR_NAV)
        if member.has_role("admin"):
            items.extend(ADMIN_NAV)
    sections: dict[str, list[NavItem]] = {}
    # Ties in order fall back on the endpoint, not the translated label: translating every label
    # on every page cost more than the rest of the menus (the header is kept, see layout_part).
    for item in sorted(items, key=lambda i: (i.order, i.endpoint)):
        sections.setdefault(item.section, []).append(item)
    return sections


def nav_url(item: NavItem) -> str:
    if item.endpoint == "members.profile":
        return url_for(item.endpoint, handle=current_user.handle)
    return url_for(item.endpoint)


LAYOUT_PARTS = {"styles": "layout/_styles.html", "header": "layout/_header.html", "footer": "layout/_footer.html"}


@pass_context
def layout_part(context, name: str) -> Markup:
    """A part of the page layout (stylesheets, header, footer), rendered once per state and kept
    (community/fragments.py): the key holds what the part shows (the member's name and handle,
    the menus, the unread count, the current page's endpoint, the enabled modules, the language);
    the CSRF token and the page to come back to are filled in on each request."""
    member = current_user._get_current_object()
    known = member.is_authenticated
    nav = context.get("nav") or {}
    modules = tuple(m.name for m in registry.enabled())
    if name == "header":
        key = (name, modules, known, (member.id, member.handle, member.display_name) if known else None,
               tuple((section, item.endpoint) for section, items in nav.items() for item in items),
               context.get("unread", 0), request.endpoint, context.get("site_name"), tuple(context.get("locales", ())))
    else:
        key = (name, modules, known)

    def render() -> str:
        template = current_app.jinja_env.get_template(LAYOUT_PARTS[name])
        return template.render(current_user=member, nav=nav, unread=context.get("unread", 0),
                               site_name=context.get("site_name"), locales=context.get("locales", ()),
                               endpoint=request.endpoint, csrf=fragments.slot("csrf"),
                               next_path=fragments.slot("next"))

    parts = fragments.cached(key, render, fragments.cache("layout"))  # its own map: one header per member
    return fragments.fill(parts, _reader_slot)


def _reader_slot(name: str) -> str:
    if name == "csrf":
        return fragments.csrf_token()
    if name == "next":
        return escape(request.full_path if request.method == "GET" else "/")
    raise ValueError(f"unknown layout slot {name!r}")


def avatar_url(member) -> str | None:
    if member is None or not member.avatar:
        return None
    return url_for("core.media", kind="avatars", name=member.avatar)


def _error_response(code: int, message=None, *, database_down: bool = False):
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=str(message or ERROR_TEXTS.get(code, "")), status=code), code
    if database_down:
        # Context processors (ours, Flask-Login's) load the member: they would fail the same way,
        # so this page is rendered straight from the template, and the locale from the headers.
        g.database_down = True
        template = current_app.jinja_env.get_template("error_plain.html")
        return template.render(code=code, title=str(ERROR_TITLES[code]), message=str(message or ERROR_TEXTS[code]),
                               retry=_("Try again"), lang=str(get_locale()), retry_url=request.full_path), code
    return render_template("error.html", code=code, title=ERROR_TITLES.get(code, ""),
                           message=message or ERROR_TEXTS.get(code, "")), code


def init_app(app) -> None:
    app.session_interface = KeptCookieSessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.globals.update(
        render_activity=render_activity, activity_url=activity_url, activity_label=activity_label, nav_url=nav_url,
        avatar_url=avatar_url, layout_part=layout_part,
        registry=registry, get_locale=get_locale,
    )

    @app.context_processor
    def _layout_context():
        if g.get("database_down"):
            return {}
        member = current_user._get_current_object()
        layout = {"locales": app.config["TERREAU_LOCALES"], "site_name": app.config["TERREAU_NAME"]}
        if not member.is_authenticated:
            return {**layout, "nav": nav_items(member), "unread": 0}
        # Context processors run for every render_template, and feeds render each activity with
        # its own template: build the menus and count unread notifications once per request
        # (per member, role and module set), not once per feed item (bench/http_pages.py).
        key = (member.id, member.role, tuple(m.name for m in registry.enabled()))
        cached = g.get("terreau_layout")
        if cached is None or cached[0] != key:
            unread = unread_for(member) if request.endpoint != "static" else 0
            cached = g.terreau_layout = (key, nav_items(member), unread)
        return {**layout, "nav": cached[1], "unread": cached[2]}

    @app.before_request
    def _first_run():
        """An empty installation sends every page to the set-up form of the first admin."""
        if app.extensions.get("terreau_has_members"):
            return None
        if request.endpoint in {"auth.setup", "static", "core.health", "core.set_language", "auth.notice"}:
            return None
        if db.session.scalar(select(func.count()).select_from(Member)) == 0:
            return redirect(url_for("auth.setup"))
        app.extensions["terreau_has_members"] = True
        return None

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # One pass over the response's headers, not one case-insensitive search per header added
        # (a view may have set one of them itself: its value stays).
        present = {name.lower() for name, _value in headers.items()}
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        member = g.get("_login_user")  # only if already loaded: never query the DB here
        if member is not None and member.is_authenticated and "cache-control" not in present:
            headers.add("Cache-Control", "private, no-store")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return _error_response(400, _("The form expired or was sent from elsewhere. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code is None or error.code < 400:
            return error
        if error.code == 429:
            return _error_response(429)
        response = _error_response(error.code)
        return response

    @app.errorhandler(OperationalError)
    def _db_error(error):
        db.session.rollback()
        if is_locked_error(error):
            log.warning("database stayed locked: %s", error)
            return _error_response(503, database_down=True)
        log.exception("database error")
        return _error_response(500, database_down=True)

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.exception("unhandled error on %s", request.path)
        db.session.rollback()
        return _error_response(500)


class KeptCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with each verified cookie kept per process.

    A browser sends the same session cookie on every page until the session changes. Verifying
    it (key derivation, HMAC, base64, zlib, tagged JSON) cost about a tenth of a millisecond per
    page (bench/http_pages.py). The signature of a given cookie under a given key never changes,
    so once a cookie has verified, its payload and timestamp are kept in a bounded map keyed by the
    keys and the cookie itself; the age limit is still checked on every request. Only payloads
    made of immutable values are kept (a list, such as the flashed messages, could be changed in
    place by the request), and each request gets its own session object."""

    size = 2000
    _IMMUTABLE = (str, int, float, bool, bytes, type(None))

    def __init__(self):
        self._kept = fragments.FragmentCache(self.size)  # bounded, least recently used, thread-safe

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), value)
        max_age = app.permanent_session_lifetime.total_seconds()
        found = self._kept.get(key)
        if found is not None:
            if time.time() - found[0] <= max_age:
                return self.session_class(found[1])
            return self.session_class()  # expired, as itsdangerous would say
        serializer = self.get_signing_serializer(app)
        try:
            data, signed_at = serializer.loads(value, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(v, self._IMMUTABLE) for v in data.values()):
            self._kept.put(key, (signed_at.timestamp(), dict(data)))
        return self.session_class(data)
