"""Languages and time zones: French first, English too; dates in the member's zone."""

from __future__ import annotations

from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations
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


def translations():
    """Flask-Babel's ``get_translations()``, kept on ``g`` for the locale it was looked up for.
    Templates translate through it: Flask-Babel's own lookup (domain, context, the locale's
    name built anew) cost about 10 µs a string, a few per cent of the home page's CPU. A
    ``force_locale`` block (e-mails in the recipient's language) has another Locale object, so it
    gets its own, and the request's comes back after it."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    kept = g.get("terreau_translations")
    if kept is None or kept[0] is not locale:
        kept = g.terreau_translations = (locale, get_translations())
    return kept[1]


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
