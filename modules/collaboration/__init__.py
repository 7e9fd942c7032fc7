"""Collaboration: putting members in touch, communities of interest, debate and co-innovation.

Thin until issue #4: the module exists, can be switched on and off, and has its page.
"""

from flask_babel import lazy_gettext as _l

from community.registry import Module, NavItem

from .blueprint import bp

MODULE = Module(
    name="collaboration",
    family="collaboration",
    label=_l("Collaboration"),
    description=_l("People to meet, introductions, groups of interest, debates, proposals and opinion maps."),
    blueprint=bp,
    nav_items=lambda member: (NavItem("collaboration.index", _l("Groups and debates"), "main", 20),),
)
