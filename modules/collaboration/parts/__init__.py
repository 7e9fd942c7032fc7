"""The collaboration module is built from parts (groups, debates, proposals, opinion maps,
people); each declares what it adds to the module and registers its own URL rules, so the
module's MODULE is their union."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Part:
    register: Callable[[Any], None]  # register(bp): add the part's URL rules to the blueprint
    activity_kinds: dict = field(default_factory=dict)
    content_kinds: dict = field(default_factory=dict)
    nav_items: Callable[[Any], Iterable] = lambda member: ()
    home_widgets: tuple = ()
    rooms: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    audiences: Callable[[Any], Iterable[str]] | None = None
    post_audiences: Callable[[Any], Iterable[tuple[str, Any]]] | None = None
    audience_members: Callable[[str], Iterable[int] | None] | None = None
    seed_demo: Callable[[Any], None] | None = None
    export_data: Callable[[Any], dict] | None = None
