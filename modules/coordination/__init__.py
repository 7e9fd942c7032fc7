"""Coordination: events with RSVP and iCalendar, field-action kits, campaigns with shifts and reports.

Built from parts (modules/coordination/parts/): events, kits and campaigns. MODULE is their union.
"""

from flask_babel import lazy_gettext as _l

from community import signals
from community.registry import Module, NavItem

from . import exchange as _exchange
from . import models  # noqa: F401  (registers the coordination_* tables)
from . import probes as _probes
from .blueprint import PARTS, bp

# The parts' pages are listed on the module's page; the header keeps its entries.
_nav = PARTS.nav(NavItem("coordination.index", _l("Events and actions"), "main", 30), "coordination")


def _on_member_erased(sender, member_id: int, **kwargs) -> None:
    """An erased member's answers to events go (seats freed, waiting lists promoted), with their
    co-organiser rows and calendar token; so do their shift sign-ups, team places and assignments,
    while their field reports stay without an author (the counts are the movement's)."""
    from .campaigns_service import forget_member as forget_field_work
    from .events_service import forget_member as forget_answers

    forget_answers(member_id)
    forget_field_work(member_id)  # shift sign-ups (seats freed), teams, assignments; reports kept anonymous


MODULE = Module(
    name="coordination",
    family="coordination",
    label=_l("Coordination"),
    description=_l("Events and calendars, field-action kits, door-to-door, leafleting and phone campaigns."),
    blueprint=bp,
    nav_items=_nav,
    subscriptions={signals.member_erased: (_on_member_erased,)},
    **PARTS.fields(),
    probes=_probes.PROBES,  # self-assessment (modules/coordination/probes.py)
    exchange=_exchange.EXCHANGE,  # its sections of the community file (modules/coordination/exchange.py)
)
