"""Collaboration: putting members in touch, communities of interest, debate and co-innovation.

Built from parts (modules/collaboration/parts/): groups, debates, proposals, opinion maps and
people (suggestions, introductions, skill search). MODULE is their union.
"""

from flask_babel import lazy_gettext as _l

from community import signals
from community.registry import Module, NavItem

from . import access as _access
from . import exchange as _exchange
from . import models  # noqa: F401  (registers the collaboration_* tables)
from . import probes as _probes
from .blueprint import PARTS, bp

# The parts' pages stay one click away from the module's page: the header keeps two entries.
_nav = PARTS.nav(NavItem("collaboration.index", _l("Groups and debates"), "main", 20), "collaboration",
                 frozenset({"collaboration.people"}))


def _on_member_erased(sender, member_id: int, **kwargs) -> None:
    """An erased member leaves their groups; their statements lose their author; their introductions,
    hidden suggestions and blocks are deleted. What they wrote
    in walls and debates stays, shown as by "a former member" (the core erased the profile)."""
    from community.extensions import db

    from .groups_service import forget_member as leave_groups
    from .opinions_service import forget_member as forget_statements
    from .people_service import forget_member as forget_introductions

    leave_groups(member_id)
    forget_statements(member_id)
    forget_introductions(member_id)
    db.session.commit()


MODULE = Module(
    name="collaboration",
    family="collaboration",
    label=_l("Collaboration"),
    description=_l("People to meet, introductions, groups of interest, debates, proposals and opinion maps."),
    blueprint=bp,
    nav_items=_nav,
    subscriptions={signals.member_erased: (_on_member_erased,)},
    **PARTS.fields(),
    probes=_probes.PROBES,  # self-assessment (modules/collaboration/probes.py)
    exchange=_exchange.EXCHANGE,  # its sections of the community file (modules/collaboration/exchange.py)
    # the member's memberships come with the login: every page reads them (access.memberships)
    login_columns=_access.login_columns,
    take_login=_access.take_login,
)
