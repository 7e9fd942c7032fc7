"""Rendered HTML fragments kept per process and shared by readers (the home page's speed, issue #3).

A fragment (a post card, a feed item, the page header) is stored under a key made of everything
it shows, read from the rows the page loads anyway: an edit, a new count, a rename or another
language simply gives another key. There is nothing to invalidate and nothing can be stale;
old entries age out of a bounded least-recently-used map (one per app and process).

What belongs to the reader is never stored. A template marks its places with ``slot(name)``
(the CSRF token, the page to come back to, ...); the fragment is kept cut at those marks, and
each request fills them in (``fill``). Slot marks carry a per-process random nonce, so no
member's text can forge one.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

from flask import current_app, g, request, session
from flask_babel import get_locale, get_timezone
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

MAX_FRAGMENTS = 4000  # a few KB each: about 12 MB per process at most
MARK = f"\x00{secrets.token_hex(8)}\x00"


class FragmentCache:
    """A bounded least-recently-used map of rendered fragments, safe across threads."""

    def __init__(self, size: int = MAX_FRAGMENTS):
        self.size = size
        self._items: OrderedDict[tuple, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> tuple[str, ...] | None:
        with self._lock:
            parts = self._items.get(key)
            if parts is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return parts

    def put(self, key: tuple, parts: tuple[str, ...]) -> None:
        with self._lock:
            self._items[key] = parts
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def kept(self, key: tuple, render: Callable[[], str]) -> tuple[str, ...]:
        """The fragment under ``key`` as its parts (see ``split``), rendered by ``render()`` and
        kept on a miss."""
        parts = self.get(key)
        if parts is None:
            parts = split(render())
            self.put(key, parts)
        return parts

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def cache(name: str = "fragments") -> FragmentCache:
    """This app's cache called ``name`` (tests build many apps in one process: each has its own).
    Its size is the setting TERREAU_FRAGMENT_CACHE_SIZE."""
    app = current_app._get_current_object()
    key = f"terreau_{name}"
    found = app.extensions.get(key)
    if found is None:
        found = app.extensions.setdefault(key, FragmentCache(app.config.get("TERREAU_FRAGMENT_CACHE_SIZE",
                                                                            MAX_FRAGMENTS)))
    return found


def slot(name: str) -> Markup:
    """A place a template leaves for the reader's own value."""
    return Markup(f"{MARK}{name}{MARK}")


def reader() -> tuple:
    """What every fragment depends on besides its data: language, time zone and URL prefix
    (computed once per request)."""
    req = request._get_current_object()  # not ``g``: an app context may outlive its requests
    found = getattr(req, "terreau_reader", None)
    if found is None:
        found = req.terreau_reader = (str(get_locale()), str(get_timezone()), req.script_root)
    return found


def person(member) -> tuple | None:
    """What the avatar and member-link macros show of a member, for a fragment's key."""
    if member is None:
        return None
    return (member.id, member.handle, member.display_name, member.avatar, member.erased_at)


def cached(key: tuple, render: Callable[[], str], store: FragmentCache | None = None) -> tuple[str, ...]:
    """The fragment under ``key`` (with ``reader()`` added), rendered by ``render()`` on a miss,
    as its parts: literal, slot name, literal, slot name, ..., literal."""
    store = cache() if store is None else store  # an empty cache is falsy (__len__)
    return store.kept((*key, *reader()), render)


def split(html: str) -> tuple[str, ...]:
    """Rendered HTML cut at its slots: literal, slot name, literal, ..., literal."""
    return tuple(html.split(MARK))


def fill(parts: tuple[str, ...], values: Mapping[str, str] | Callable[[str], str]) -> Markup:
    """The fragment with its slots filled: ``values`` maps a slot name to its (already escaped)
    text, or is a function of the slot name."""
    if len(parts) == 1:
        return Markup(parts[0])
    get = values if callable(values) else values.__getitem__
    out = []
    for index, part in enumerate(parts):
        out.append(get(part) if index % 2 else part)
    return Markup("".join(out))


def csrf_token() -> str:
    """The reader's signed CSRF token, escaped for a slot (``generate_csrf()``, as forms use).

    Flask-WTF signs the session's token anew on the first call of each request (a timestamped
    HMAC). With WTF_CSRF_TIME_LIMIT off (config.py: a token lives as long as the session), a token
    signed earlier for the same session token is exactly as valid, so the signed one is kept per
    session token (a bounded map per app) and signing happens once per session and process."""
    signed = g.get("csrf_token")
    if signed is None:
        app = current_app._get_current_object()
        raw = session.get("csrf_token")
        kept = cache("csrf") if app.config.get("WTF_CSRF_TIME_LIMIT") is None else None
        found = kept.get((app.secret_key, raw)) if kept is not None and raw else None
        if found is not None:
            g.csrf_token = signed = found[0]
        else:
            signed = generate_csrf()
            if kept is not None:
                kept.put((app.secret_key, session["csrf_token"]), (signed,))
    return str(escape(signed))
