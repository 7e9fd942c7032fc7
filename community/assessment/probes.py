"""The probes API: what a module hands the self-assessment (ARCHITECTURE §6, ASSESSMENT.md).

A module lists probe functions in ``Module.probes``. The engine calls each one as
``probe(window)`` and reads what it yields, by type:

- ``Capability``: one feature of the capability grid (axis, key, label, weight, available now),
  read from the module's settings. The engine marks every capability of a module that is off
  as unavailable, so switching a module off lowers the capability score.
- ``Contributions``: a SQL select of authored items (expression). Columns, by label:
  ``author_id``, ``created_at``, ``item_id``, ``reply_to_id`` and ``reply_to_author_id``
  (NULL when the item answers nothing). The probe filters ``created_at`` with
  ``window.contains(...)``; the engine drops authors outside ``M``.
- ``Gatherings``: a SQL select of ``(key, member_id)`` rows, one per person listed in a group or
  attending an event. The engine counts *everyone* listed under a key and applies the
  "at most ``limit`` people" rule before keeping the members of ``M``.
- ``Ties``: a SQL select of ``(a_id, b_id)`` pairs that are a direct tie (an accepted introduction).

Probes return selects, never rows: the engine streams them into numpy arrays, so a probe costs no
Python object per row. Usage probes run for every loaded module, enabled or not (usage measures
what happened); capabilities count only while the module is on (capability measures what is on now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, cast, literal, null

AXES = ("expression", "connection")


@dataclass(frozen=True)
class Window:
    """``W = [start, end)`` and ``as_of`` (= ``end``), naive UTC as stored."""

    start: datetime
    end: datetime

    @property
    def as_of(self) -> datetime:
        return self.end

    def contains(self, column) -> ColumnElement[bool]:
        """``start <= column < end``: the start is in the window, the end is not."""
        return and_(column >= self.start, column < self.end)

    def before_end(self, column) -> ColumnElement[bool]:
        """``column < as_of``: what existed at the time of the assessment."""
        return column < self.end


@dataclass(frozen=True)
class Capability:
    """One feature of the capability grid."""

    axis: str  # "expression" or "connection"
    key: str  # "<module>.<feature>", unique
    label: Any  # lazy string shown on the dashboard
    weight: float = 1.0  # basic features 1; suggestions, skill search, voting, co-editing, opinion maps more
    available: bool = True  # switched on now (the module's settings); the engine adds the module's own switch


@dataclass(frozen=True)
class Contributions:
    """Authored items of one kind (see the module docstring for the columns)."""

    kind: str  # "<module>.<kind>", e.g. "influence.post"
    select: Select
    replyable: bool = False  # its top-level items (reply_to NULL) form the base of reply_rate


@dataclass(frozen=True)
class Gatherings:
    """People listed together: a group's members, an event's attendees."""

    kind: str  # "<module>.<kind>", e.g. "collaboration.group"
    select: Select  # columns labelled key, member_id
    limit: int = 50  # a gathering of more people than this makes no ties


@dataclass(frozen=True)
class Ties:
    """Direct ties between two members, e.g. an accepted introduction."""

    kind: str
    select: Select  # columns labelled a_id, b_id


def no_reply():
    """Columns for a kind whose items answer nothing: ``reply_to_id`` and ``reply_to_author_id`` NULL."""
    # typed NULLs: PostgreSQL cannot COALESCE an untyped (text) NULL with an integer
    return cast(null(), Integer).label("reply_to_id"), cast(null(), Integer).label("reply_to_author_id")


def constant(value: int, name: str):
    return literal(value).label(name)
