"""Languages and time zones: French first, English too; dates in the member's zone."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user

from .extensions import babel


def select_locale() -> str:
    locales = current_app.config["TERREAU_LOCALES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    member_known = not g.get("database_down")  # the member cannot be loaded then
    member = current_user._get_current_object() if member_known else None
    if member and member.is_authenticated and member.locale in locales:
        return member.locale
    if session.get("lang") in locales:
        return session["lang"]
    if request.accept_languages:
        best = request.accept_languages.best_match(locales)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    member_known = has_request_context() and not g.get("database_down")
    member = current_user._get_current_object() if member_known else None
    if member and member.is_authenticated and member.timezone:
        return member.timezone
    return current_app.config["TERREAU_TIMEZONE"]


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
