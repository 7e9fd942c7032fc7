"""Influence: activity feeds, valuing members' activity, conversations in perspective, diffusion.

Posts with mentions and hashtags, the home feed (live), reactions and relays, conversations
with their summary, topics and trending topics.
"""

from flask import request
from flask_babel import lazy_gettext as _l

from community import signals
from community.registry import ActivityKind, ContentKind, ContentRef, HomeWidget, Module, NavItem, shared_kind

from . import exchange as _exchange
from . import models  # noqa: F401  (registers the influence_* tables)
from . import probes as _probes
from .blueprint import bp
from .points import DEFAULT_POINTS, _on_activity_published


def _load_post(ident: str):
    from flask import has_request_context
    from flask_login import current_user

    from community.extensions import db

    from .models import InfluencePost
    from .service import can_see

    post = db.session.get(InfluencePost, int(ident)) if ident.isdigit() else None
    if post is None or post.deleted_at is not None:
        return None
    # A group's post is not shown (e.g. on the report page) to whoever may not see it; moderators may.
    viewer = current_user if has_request_context() else None
    if viewer is not None and not viewer.has_role("moderator") and not can_see(viewer, post):
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


def _bridging_widget(member) -> dict:
    from .bridging import bridging

    return {"items": bridging()[:5]}


def _badges_widget(member) -> dict:
    from flask_login import current_user

    from .points import badges_of, member_points

    own = current_user.is_authenticated and current_user.id == member.id
    return {"member_id": member.id, "badges": badges_of(member.id),
            "level": member_points(member.id).level if own else None}


def _nav_points(member) -> tuple:
    items = (NavItem("influence.points", _l("My activity points"), "user", 40),)
    if member.has_role("admin"):
        items += (NavItem("influence.admin_points", _l("Activity points"), "admin", 60),)
    return items


def _nav_pinned(member) -> tuple:
    items = (NavItem("influence.highlights", _l("Highlights"), "main", 12),)
    if member.is_authenticated and member.has_role("organiser"):
        items += (NavItem("influence.announcements", _l("Announcements"), "user", 41),)
    return items


def _on_content_hidden(sender, **kwargs):
    from .ranking import clear_cache

    clear_cache()  # hidden posts leave the cached bridging highlights and trending topics now


def _on_enable():
    from .points import rebuild_points

    rebuild_points()  # receivers were silent while the module was off


def _seed_demo(ctx):
    from .demo import seed_demo

    seed_demo(ctx)


def _export(member) -> dict:
    """The member's posts, reactions, relays, points and badges, for their own data export."""
    from sqlalchemy import select

    from community.extensions import db

    from .models import InfluenceBadge, InfluencePoints, InfluencePost, InfluenceReaction, InfluenceRelay

    def iso(value):
        return value.isoformat() + "Z" if value else None

    posts = db.session.scalars(select(InfluencePost).where(InfluencePost.author_id == member.id)
                               .order_by(InfluencePost.id))
    points = db.session.get(InfluencePoints, member.id)
    return {
        "posts": [{"id": p.id, "body": p.body, "audience": p.audience, "reply_to": p.reply_to_id,
                   "at": iso(p.created_at), "edited_at": iso(p.edited_at), "deleted_at": iso(p.deleted_at)}
                  for p in posts],
        "reactions": [{"post": r.post_id, "kind": r.kind, "at": iso(r.created_at)} for r in db.session.scalars(
            select(InfluenceReaction).where(InfluenceReaction.member_id == member.id))],
        "relays": [{"post": r.post_id, "comment": r.comment, "at": iso(r.created_at)} for r in db.session.scalars(
            select(InfluenceRelay).where(InfluenceRelay.member_id == member.id))],
        "points": {"total": points.total, "month_total": points.month_total} if points else None,
        "badges": [b.badge for b in db.session.scalars(select(InfluenceBadge).where(
            InfluenceBadge.member_id == member.id))],
    }


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
    nav_items=lambda member: (NavItem("influence.index", _l("Feed"), "main", 10), *_nav_points(member),
                              *_nav_pinned(member)),
    home_widgets=(
        HomeWidget("influence/widgets/feed.html", order=10, context=_feed_widget, slot="main"),
        HomeWidget("influence/widgets/trending.html", order=20, context=_trending_widget,
                   cache_key=lambda w: tuple(tag for tag, _score in w["topics"])),
        HomeWidget("influence/widgets/bridging.html", order=30, context=_bridging_widget,
                   cache_key=lambda w: tuple((i["post_id"], i["excerpt"], i["author_name"], i["author_erased"],
                                              i["reactors"], i["circles"]) for i in w["items"])),
    ),
    activity_kinds={
        "influence.post": ActivityKind(POST_TEMPLATE, _l("A post mentions you"), preload=_preload),
        "influence.reply": ActivityKind(POST_TEMPLATE, _l("Someone answers your post"), preload=_preload),
        "influence.relay": ActivityKind(POST_TEMPLATE, _l("Someone relays your post"), preload=_preload),
        # Notifies recipients only when the organiser asks for e-mail; off by default (opt-in).
        "influence.announcement": shared_kind("influence/announcements_activity.html",
                                               _l("An organiser sends an announcement by e-mail")),
    },
    content_kinds={"influence.post": ContentKind(_l("Post"), _load_post)},
    settings={"edit_window_minutes": 15,
              "points": dict(DEFAULT_POINTS),  # points per activity verb (docs/influence-ranking.md)
              "points_half_life_days": 30,  # recent activity weighs more in the level
              "leaderboard_enabled": True},  # "most active this month"; off: the page answers 404
    profile_widgets=(HomeWidget("influence/widgets/profile_badges.html", context=_badges_widget),),
    subscriptions={signals.activity_published: (_on_activity_published,),
                   signals.content_hidden: (_on_content_hidden,)},
    on_enable=_on_enable,
    seed_demo=_seed_demo,
    export_data=_export,
    probes=_probes.PROBES,  # self-assessment (modules/influence/probes.py)
    exchange=_exchange.EXCHANGE,  # its sections of the community file (modules/influence/exchange.py)
)
