"""Influence: activity feeds, valuing members' activity, conversations in perspective, diffusion.

Posts with mentions and hashtags, the home feed (live), reactions and relays, conversations
with their summary, topics and trending topics.
"""

from flask import request
from flask_babel import lazy_gettext as _l

from community.registry import ActivityKind, ContentKind, ContentRef, HomeWidget, Module, NavItem

from . import models  # noqa: F401  (registers the influence_* tables)
from .blueprint import bp


def _load_post(ident: str):
    from community.extensions import db

    from .models import InfluencePost

    post = db.session.get(InfluencePost, int(ident)) if ident.isdigit() else None
    if post is None or post.deleted_at is not None:
        return None
    return ContentRef(title=post.body[:80], endpoint="influence.post", args={"post_id": post.id},
                      author_id=post.author_id, excerpt=post.body[:300])


def _feed_widget(member) -> dict:
    from .views import feed_context

    before = request.args.get("before", "")
    return feed_context(member, int(before) if before.isdigit() else None)


def _trending_widget(member) -> dict:
    from .ranking import trending

    return {"topics": trending()}


def _seed_demo(ctx):
    from .demo import seed_demo

    seed_demo(ctx)


def _preload(activities):
    from .service import preload_posts

    preload_posts(activities)


POST_TEMPLATE = "influence/activity/post.html"

MODULE = Module(
    name="influence",
    family="influence",
    label=_l("Influence"),
    description=_l("Feeds, posts and announcements; conversations put into perspective; members' activity valued."),
    blueprint=bp,
    nav_items=lambda member: (NavItem("influence.index", _l("Feed"), "main", 10),
                              NavItem("influence.movement", _l("All posts"), "main", 11)),
    home_widgets=(
        HomeWidget("influence/widgets/feed.html", order=10, context=_feed_widget, slot="main"),
        HomeWidget("influence/widgets/trending.html", order=20, context=_trending_widget),
    ),
    activity_kinds={
        "influence.post": ActivityKind(POST_TEMPLATE, _l("A post mentions you"), preload=_preload),
        "influence.reply": ActivityKind(POST_TEMPLATE, _l("Someone answers your post"), preload=_preload),
        "influence.relay": ActivityKind(POST_TEMPLATE, _l("Someone relays your post"), preload=_preload),
    },
    content_kinds={"influence.post": ContentKind(_l("Post"), _load_post)},
    settings={"edit_window_minutes": 15},
    seed_demo=_seed_demo,
)
