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
    if member_known and current_user and current_user.is_authenticated and current_user.locale in locales:
        return current_user.locale
    if session.get("lang") in locales:
        return session["lang"]
    if request.accept_languages:
        best = request.accept_languages.best_match(locales)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    member_known = has_request_context() and not g.get("database_down")
    if member_known and current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["TERREAU_TIMEZONE"]


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
