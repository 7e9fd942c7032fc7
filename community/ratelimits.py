"""Rate limits on POSTs (login, registration, reset, posting), read from the app config."""

from __future__ import annotations

from flask import current_app

from .extensions import limiter


def limited(config_key: str, view):
    """``view`` with the limit named by ``config_key`` applied to its POST requests (429 past it)."""
    return limiter.limit(lambda: current_app.config[config_key], methods=["POST"])(view)
