"""Modules built from parts: each part declares what it adds (URL rules, activity kinds, rooms,
settings, jobs…) and ``PartSet`` merges them into the fields of one ``Module``.

The collaboration module (groups, debates, proposals, opinion maps, people) and the coordination
module (events, kits, campaigns) are composed this way; a small module can ignore it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass
class Part:
    register: Callable[[Any], None]  # register(bp): add the part's URL rules to the module's blueprint
    name: str = ""  # key of the part's section in a member's data export
    activity_kinds: dict = field(default_factory=dict)
    content_kinds: dict = field(default_factory=dict)
    nav_items: Callable[[Any], Iterable] = lambda member: ()
    home_widgets: tuple = ()
    profile_widgets: tuple = ()
    rooms: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    jobs: tuple = ()
    audiences: Callable[[Any], Iterable[str]] | None = None
    audiences_of_many: Callable[[list[int]], dict[int, list[str]]] | None = None
    post_audiences: Callable[[Any], Iterable[tuple[str, Any]]] | None = None
    audience_members: Callable[[str], Iterable[int] | None] | None = None
    seed_demo: Callable[[Any], None] | None = None
    export_data: Callable[[Any], dict] | None = None


class PartSet:
    """The union of a module's parts, field by field, for its ``Module(...)`` declaration."""

    def __init__(self, parts: Iterable[Part]):
        self.parts = tuple(parts)

    def register(self, bp) -> None:
        for part in self.parts:
            part.register(bp)

    def union(self, attr: str) -> dict:
        merged: dict = {}
        for part in self.parts:
            merged.update(getattr(part, attr))
        return merged

    def chain(self, attr: str) -> tuple:
        return tuple(item for part in self.parts for item in getattr(part, attr))

    def each(self, attr: str) -> Callable[[Any], list]:
        """One function calling every part's ``attr(member)`` and concatenating the results."""
        functions = [getattr(part, attr) for part in self.parts if getattr(part, attr)]

        def combined(member):
            result = []
            for function in functions:
                result.extend(function(member))
            return result

        return combined

    def nav(self, landing, section: str, header: frozenset[str] = frozenset()) -> Callable[[Any], tuple]:
        """nav_items for the module: its landing page's NavItem in the header, then the parts' items;
        a part's header ("main") entry moves to ``section`` (listed on the landing page) unless its
        endpoint is in ``header``, so the top bar keeps one or two entries per module."""
        keep = {landing.endpoint, *header}

        def items(member) -> tuple:
            found = [landing]
            for part in self.parts:
                for item in part.nav_items(member):
                    if item.section == "main" and item.endpoint not in keep:
                        item = replace(item, section=section)
                    found.append(item)
            return tuple(found)

        return items

    def audiences_of_many(self, member_ids: list[int]) -> dict[int, list[str]]:
        merged: dict[int, list[str]] = {}
        for part in self.parts:
            if part.audiences_of_many:
                for member_id, audiences in part.audiences_of_many(member_ids).items():
                    merged.setdefault(member_id, []).extend(audiences)
        return merged

    def audience_members(self, audience: str):
        for part in self.parts:
            if part.audience_members:
                members = part.audience_members(audience)
                if members is not None:
                    return members
        return None

    def seed_demo(self, ctx) -> None:
        for part in self.parts:
            if part.seed_demo:
                part.seed_demo(ctx)

    def export_data(self, member) -> dict:
        return {part.name: part.export_data(member) for part in self.parts if part.export_data}

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for ``Module(...)``: everything the parts declare."""
        return {
            "home_widgets": self.chain("home_widgets"),
            "profile_widgets": self.chain("profile_widgets"),
            "activity_kinds": self.union("activity_kinds"),
            "content_kinds": self.union("content_kinds"),
            "rooms": self.union("rooms"),
            "settings": self.union("settings"),
            "jobs": self.chain("jobs"),
            "audiences": self.each("audiences"),
            "audiences_of_many": (self.audiences_of_many if any(p.audiences_of_many for p in self.parts)
                                  else None),
            "post_audiences": self.each("post_audiences"),
            "audience_members": self.audience_members,
            "seed_demo": self.seed_demo,
            "export_data": self.export_data,
        }
