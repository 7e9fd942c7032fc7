"""Coordination: events with RSVP and iCalendar, field-action kits, campaigns with shifts and reports.

Thin until issue #5: the module exists, can be switched on and off, and has its page.
"""

from flask_babel import lazy_gettext as _l

from community.registry import Module, NavItem

from .blueprint import bp

MODULE = Module(
    name="coordination",
    family="coordination",
    label=_l("Coordination"),
    description=_l("Events and calendars, field-action kits, door-to-door, leafleting and phone campaigns."),
    blueprint=bp,
    nav_items=lambda member: (NavItem("coordination.index", _l("Events and actions"), "main", 30),),
)
