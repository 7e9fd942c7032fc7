"""Influence's part of the self-assessment: its features, and posts and replies as contributions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from community.assessment.probes import Capability, Contributions, Window
from community.settings import module_setting

from .models import InfluencePost


def capabilities(window: Window):
    yield Capability("expression", "influence.posts", _l("Posts and replies in the feed"), 1)
    yield Capability("expression", "influence.reactions", _l("Reactions and relays"), 1)
    yield Capability("expression", "influence.hashtags", _l("Hashtags, mentions and trending topics"), 1)
    yield Capability("expression", "influence.edit", _l("Editing one's own posts"), 1,
                     available=int(module_setting("influence", "edit_window_minutes") or 0) > 0)
    yield Capability("expression", "influence.points", _l("Activity points and the most-active list"), 1,
                     available=bool(module_setting("influence", "leaderboard_enabled")))
    yield Capability("connection", "influence.bridging", _l("Conversations that bridge groups, highlighted"), 1)


def contributions(window: Window):
    """Posts and replies (a reply answers the post named by ``reply_to_id``); deleted posts are left out."""
    parent = aliased(InfluencePost)
    yield Contributions("influence.post", select(
        InfluencePost.author_id.label("author_id"), InfluencePost.created_at.label("created_at"),
        InfluencePost.id.label("item_id"), InfluencePost.reply_to_id.label("reply_to_id"),
        parent.author_id.label("reply_to_author_id"),
    ).outerjoin(parent, parent.id == InfluencePost.reply_to_id).where(InfluencePost.deleted_at.is_(None)),
        replyable=True)


PROBES = (capabilities, contributions)
