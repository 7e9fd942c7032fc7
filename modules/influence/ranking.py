"""Trending topics: hashtags of the last days, each use weighted by its age (time decay).

score(tag) = Σ over the tag's uses in the window of 2^(−age / half_life)

Computed at most once per ``TTL`` seconds per process (never on every page view; once expired,
in a background thread while pages keep the previous value: ``cached``) and never written to
the database.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import select

from community.database import mark_writing
from community.extensions import db
from community.timeutil import utcnow

from .models import InfluencePost, InfluencePostTag

TTL = 60.0
_cache: dict[tuple, tuple[float, list]] = {}
_lock = threading.Lock()
_refreshing: set[tuple] = set()
_generation = 0  # moved on by forget() and clear_cache(): a refresh started before does not store
log = logging.getLogger(__name__)


def cached(key: tuple, compute, ttl: float = TTL):
    """A per-process cache with a time to live, for derived rankings.

    The first call computes in the caller. Once a value has expired, the caller still gets it,
    and one background thread of this process computes the next (with its own app context and
    database session, reading without SQLite's write lock): no page view waits for a ranking
    that is being refreshed (the bridging scores took ~1 s at 343,000 reactions). The value is
    then at most ``ttl`` plus the compute's time old. ``forget`` and ``clear_cache`` drop values
    at once, and a refresh that started before them is not stored."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < ttl:
            return hit[1]
        stale = hit is not None and has_app_context()
        if stale and key in _refreshing:
            return hit[1]
        if stale:
            _refreshing.add(key)
        generation = _generation
    if stale:
        app = current_app._get_current_object()
        threading.Thread(target=_refresh, args=(app, key, compute, generation), daemon=True,
                         name=f"terreau-ranking-{key[0]}").start()
        return hit[1]
    value = compute()
    _store(key, now, value, generation)
    return value


def _store(key: tuple, when: float, value, generation: int) -> None:
    with _lock:
        if generation == _generation:
            _cache[key] = (when, value)


def _refresh(app, key: tuple, compute, generation: int) -> None:
    try:
        with app.app_context():
            mark_writing(False)  # a read: never SQLite's write lock
            _store(key, time.monotonic(), compute(), generation)
    except Exception:  # the stale value stays; the next expired read tries again
        log.exception("refreshing %s failed", key[0])
    finally:
        with _lock:
            _refreshing.discard(key)


def forget(key: tuple) -> None:
    global _generation
    with _lock:
        _cache.pop(key, None)
        _generation += 1


def clear_cache() -> None:
    global _generation
    with _lock:
        _cache.clear()
        _generation += 1


def trending_scores(rows, now, half_life_hours: float) -> dict[str, float]:
    """The decayed score of each tag from (tag, used_at) rows; a pure function (unit-tested)."""
    scores: dict[str, float] = {}
    for tag, used_at in rows:
        age_hours = max(0.0, (now - used_at).total_seconds() / 3600)
        scores[tag] = scores.get(tag, 0.0) + math.pow(2.0, -age_hours / half_life_hours)
    return scores


def trending(days: int = 7, half_life_hours: float = 48.0, limit: int = 10) -> list[tuple[str, float]]:
    """The top tags of the last ``days`` days, public and members' posts (group posts stay private)."""

    def compute():
        now = utcnow()
        rows = db.session.execute(
            select(InfluencePostTag.tag, InfluencePostTag.created_at)
            .join(InfluencePost, InfluencePost.id == InfluencePostTag.post_id)
            .where(InfluencePostTag.created_at >= now - timedelta(days=days),
                   InfluencePost.audience.in_(("public", "members")), InfluencePost.deleted_at.is_(None))
        ).all()
        scores = trending_scores(rows, now, half_life_hours)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]

    return cached(("trending", days, half_life_hours, limit), compute)
