"""Trending topics: hashtags of the last days, each use weighted by its age (time decay).

score(tag) = Σ over the tag's uses in the window of 2^(−age / half_life)

Computed at most once per ``TTL`` seconds per process (never on every page view) and
never written to the database.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import timedelta

from sqlalchemy import select

from community.extensions import db
from community.timeutil import utcnow

from .models import InfluencePost, InfluencePostTag

TTL = 60.0
_cache: dict[tuple, tuple[float, list]] = {}
_lock = threading.Lock()


def cached(key: tuple, compute, ttl: float = TTL):
    """A per-process cache with a time to live, for derived rankings."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < ttl:
            return hit[1]
    value = compute()
    with _lock:
        _cache[key] = (now, value)
    return value


def forget(key: tuple) -> None:
    with _lock:
        _cache.pop(key, None)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


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
