"""The core's own part of the capability grid: what every Terreau offers whatever the modules.

Follows are read by the engine itself (they also give reciprocity); the family mix comes from the
activity table. Only capabilities are declared here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .probes import Capability, Window


def core_capabilities(window: Window) -> list[Capability]:
    return [
        Capability("connection", "core.follow", _l("Following members"), 1),
        Capability("connection", "core.profiles", _l("Profiles with interests and skills"), 1),
        Capability("connection", "core.directory", _l("Member directory searchable by interest and skill"), 2),
        Capability("expression", "core.notifications", _l("Notifications of answers and mentions"), 1),
    ]
