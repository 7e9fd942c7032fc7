"""The collaboration module's landing page: one section per part (groups, debates, proposals,
opinion maps, people), each in the part's own template, so the parts never edit each other.

A part adds its section by
- shipping ``templates/collaboration/<part>/_index.html`` (included when it exists), and
- optionally registering ``index_section("<part>", context)`` in its ``register(bp)``: the
  template then finds ``section = context(member)`` (a dict); without it, ``section`` is ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template
from flask_login import current_user, login_required

from community.registry import registry

# The order of the sections on the landing page.
SECTION_ORDER = ("groups", "debates", "proposals", "opinions", "people")
# part name → context(member) -> dict, filled by the parts' register(bp)
_SECTIONS: dict[str, Callable[[object], dict]] = {}


def index_section(name: str, context: Callable[[object], dict]) -> None:
    """Give the landing page's section of part ``name`` its variables (``section`` in its template)."""
    _SECTIONS[name] = context


@login_required
def index():
    member = current_user._get_current_object()
    sections = {name: context(member) for name, context in _SECTIONS.items()}
    module = registry.get("collaboration")
    # The parts' own menu entries, so every part is reachable from here even without a section.
    links = sorted((item for item in module.nav_items(member)
                    if item.section in ("main", "collaboration") and item.endpoint != "collaboration.index"),
                   key=lambda item: (item.order, str(item.label)))
    return render_template("collaboration/index.html", module=module, sections=sections,
                           section_order=SECTION_ORDER, links=links)
