"""URL helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None) -> str | None:
    """Accept only a local path as a redirect target (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def int_arg(name: str, default: int | None = None) -> int | None:
    """A non-negative integer query argument (keyset ids, pages), else ``default``: bad input is ignored."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default
