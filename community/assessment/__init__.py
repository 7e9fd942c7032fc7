"""The social-potential self-assessment (ARCHITECTURE §6, ASSESSMENT.md, docs/assessment.md).

``engine.assess()`` builds the report; modules contribute through ``Module.probes`` (see
``probes.py`` for the API); ``snapshots`` keeps one report a day; the admin dashboard draws them.
"""

from .probes import Capability, Contributions, Gatherings, Ties, Window, no_reply

__all__ = ["Capability", "Contributions", "Gatherings", "Ties", "Window", "no_reply"]
