"""Settings, read from ``TERREAU_*`` environment variables (documented in docs/operator.md)."""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """TERREAU_SECRET_KEY, else a random key kept in instance/secret_key so sessions survive restarts."""
    if os.environ.get("TERREAU_SECRET_KEY"):
        return os.environ["TERREAU_SECRET_KEY"]
    path = instance / "secret_key"
    instance.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several processes start at once on an empty instance, one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)  # another process is writing it
    raise RuntimeError(f"{path} is empty; delete it or set TERREAU_SECRET_KEY")


def load(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping; ``overrides`` (tests, app.py flags) win over the environment."""
    overrides = dict(overrides or {})
    instance = Path(overrides.pop("INSTANCE_PATH", os.environ.get("TERREAU_INSTANCE", ROOT / "instance")))
    instance.mkdir(parents=True, exist_ok=True)
    redis_url = os.environ.get("TERREAU_REDIS_URL") or None
    database_url = os.environ.get("TERREAU_DATABASE_URL", f"sqlite:///{instance / 'terreau.db'}")
    config = {
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": overrides.pop("SECRET_KEY", None) or _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server's connections can drop (restart, idle timeout): test each one when it leaves the
        # pool. A SQLite file cannot drop, and the test (a SELECT 1) would be one more statement
        # on every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "TERREAU_SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("TERREAU_SQLITE_BUSY_TIMEOUT_MS", "5000")),
        "TERREAU_REDIS_URL": redis_url,
        "TERREAU_SMTP_URL": os.environ.get("TERREAU_SMTP_URL") or None,
        "TERREAU_MAIL_FROM": os.environ.get("TERREAU_MAIL_FROM", "Terreau <noreply@localhost>"),
        "TERREAU_BASE_URL": os.environ.get("TERREAU_BASE_URL", "http://127.0.0.1:5000"),
        # werkzeug's password hashing method; scrypt (its default) costs ~0.2 s of CPU per login.
        "TERREAU_PASSWORD_HASH": os.environ.get("TERREAU_PASSWORD_HASH", "scrypt"),
        "TERREAU_NAME": os.environ.get("TERREAU_NAME", "Terreau"),
        "TERREAU_TIMEZONE": os.environ.get("TERREAU_TIMEZONE", "Europe/Paris"),
        "TERREAU_UPLOAD_DIR": os.environ.get("TERREAU_UPLOAD_DIR", str(instance / "uploads")),
        "TERREAU_AVATAR_MAX_BYTES": int(os.environ.get("TERREAU_AVATAR_MAX_BYTES", str(2 * 1024 * 1024))),
        # rendered fragments kept per process and cache (community/fragments.py); a few KB each
        "TERREAU_FRAGMENT_CACHE_SIZE": int(os.environ.get("TERREAU_FRAGMENT_CACHE_SIZE", "4000")),
        "TERREAU_RESET_TOKEN_MAX_AGE": int(os.environ.get("TERREAU_RESET_TOKEN_MAX_AGE", "3600")),
        "TERREAU_SOCKETIO_CORS": os.environ.get("TERREAU_SOCKETIO_CORS") or None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("TERREAU_MAX_REQUEST_BYTES", str(16 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": os.environ.get("TERREAU_DEFAULT_LOCALE", "fr"),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "TERREAU_LOCALES": ("fr", "en"),
        "RATELIMIT_ENABLED": _flag("TERREAU_RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "TERREAU_LIMIT_LOGIN": os.environ.get("TERREAU_LIMIT_LOGIN", "10 per minute;50 per hour"),
        "TERREAU_LIMIT_REGISTER": os.environ.get("TERREAU_LIMIT_REGISTER", "5 per hour"),
        "TERREAU_LIMIT_RESET": os.environ.get("TERREAU_LIMIT_RESET", "5 per hour"),
        "TERREAU_LIMIT_POST": os.environ.get("TERREAU_LIMIT_POST", "30 per minute"),
        # introduction requests sent per member (collaboration; refused requests do not count)
        "TERREAU_LIMIT_INTRODUCTION": os.environ.get("TERREAU_LIMIT_INTRODUCTION", "10 per day"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("TERREAU_SECURE_COOKIES", False),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        # Only a response that changed the session sets its cookie: a background fetch (live feed,
        # counters) must not overwrite the cookie a concurrent request just set (a flashed message).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "TERREAU_COUNT_QUERIES": _flag("TERREAU_COUNT_QUERIES", False),
        # How many reverse proxies (nginx…) stand in front: their X-Forwarded-* headers are trusted.
        "TERREAU_PROXIES": int(os.environ.get("TERREAU_PROXIES", "0")),
        # Retention (days), applied by `flask --app app prune` (run it daily from cron or a timer).
        "TERREAU_RETAIN_READ_NOTIFICATIONS_DAYS": int(os.environ.get("TERREAU_RETAIN_READ_NOTIFICATIONS_DAYS", "90")),
        "TERREAU_RETAIN_NOTIFICATIONS_DAYS": int(os.environ.get("TERREAU_RETAIN_NOTIFICATIONS_DAYS", "365")),
        "TERREAU_RETAIN_REPORTS_DAYS": int(os.environ.get("TERREAU_RETAIN_REPORTS_DAYS", "365")),
    }
    config.update(overrides)
    return config
