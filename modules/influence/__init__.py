"""Influence: activity feeds, valuing members' activity, conversations in perspective, diffusion.

Thin until issue #3: the module exists, can be switched on and off, and has its page.
"""

from flask_babel import lazy_gettext as _l

from community.registry import ActivityKind, Module, NavItem

from . import models  # noqa: F401  (registers the influence_* tables)
from .blueprint import bp

MODULE = Module(
    name="influence",
    family="influence",
    label=_l("Influence"),
    description=_l("Feeds, posts and announcements; conversations put into perspective; members' activity valued."),
    blueprint=bp,
    nav_items=lambda member: (NavItem("influence.index", _l("Feed"), "main", 10),),
    activity_kinds={"influence.post": ActivityKind(None, _l("A post mentions you"))},
)
