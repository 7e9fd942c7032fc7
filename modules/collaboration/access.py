"""Who may see what in collaboration: group content is for the group's active members (and
moderators); movement-wide content (no group) for every logged-in member. Shared by all parts."""

from __future__ import annotations

import unicodedata

from flask import g, has_app_context
from sqlalchemy import bindparam, select

from community.database import json_rows, json_rows_values, prepared, rows
from community.extensions import db

from .models import CollaborationGroup, CollaborationMembership

GROUP_ROOM = "collaboration:group:{id}"


def group_room(group_id: int) -> str:
    return GROUP_ROOM.format(id=group_id)


class MembershipRow:
    """A membership read for display and access checks: its columns as plain values (read like a
    ``CollaborationMembership``; ``member`` is looked up in the session when asked for)."""

    columns = tuple(CollaborationMembership.__table__.c.keys())

    def __init__(self, values):
        self.__dict__.update(zip(self.columns, values, strict=True))

    @property
    def member(self):
        from community.models import Member

        return db.session.get(Member, self.member_id)


class GroupRow:
    """A group read for display and access checks: its columns as plain values (read like a
    ``CollaborationGroup``)."""

    columns = tuple(CollaborationGroup.__table__.c.keys())

    def __init__(self, values):
        self.__dict__.update(zip(self.columns, values, strict=True))


_MEMBERSHIP_WIDTH = len(MembershipRow.columns)
_COLUMNS = (*CollaborationMembership.__table__.c, *CollaborationGroup.__table__.c)


def name_order(name: str) -> str:
    """A name's place in a list read by people: case and accents left out ("Éducation" before
    "vélo"), as a dictionary would order them."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def _kept(rows) -> list[tuple[MembershipRow, GroupRow]]:
    """Membership rows (``_COLUMNS``) as pairs, open groups first, then by name (``name_order``).
    Sorted here, not by the database: SQLite's lower() leaves "É" upper-case and sorts it after
    "z", and both ways of reading them (the login's, a statement of their own) give one order."""
    pairs = [(MembershipRow(row[:_MEMBERSHIP_WIDTH]), GroupRow(row[_MEMBERSHIP_WIDTH:])) for row in rows]
    pairs.sort(key=lambda pair: (pair[1].archived_at is not None, name_order(pair[1].name), pair[1].id))
    return pairs


def memberships(member) -> list[tuple[MembershipRow, GroupRow]]:
    """All the member's memberships (any status) with their groups, open groups first, by name:
    read once per request, shared by visibility checks, audiences, menus and the home block. For
    the logged-in member they come with the login (``login_columns``); for anyone else, or once
    forgotten, in one query. Plain values, not ORM objects: every page reads them, and the ORM's
    loading of the two objects cost several times the query itself (bench/http_pages.py). Change
    memberships through the ORM (``db.session.get(CollaborationMembership, (group_id, member_id))``),
    then call ``forget_memberships()``."""
    if member is None or not getattr(member, "is_authenticated", False):
        return []
    cache = g.setdefault("collaboration_memberships", {}) if has_app_context() else {}
    if member.id not in cache:
        statement = prepared("collaboration.memberships", lambda: (
            select(*_COLUMNS).join(CollaborationGroup, CollaborationGroup.id == CollaborationMembership.group_id)
            .where(CollaborationMembership.member_id == bindparam("member_id"))))
        cache[member.id] = _kept(rows(statement, {"member_id": member.id}))
    return cache[member.id]


def login_columns(member_id) -> tuple:
    """Module.login_columns: the member's memberships with their groups, as ``json_rows``."""
    return (select(json_rows(*_COLUMNS))
            .join(CollaborationGroup, CollaborationGroup.id == CollaborationMembership.group_id)
            .where(CollaborationMembership.member_id == member_id)
            .scalar_subquery().label("collaboration_memberships"),)


def take_login(member_id: int, values: tuple) -> None:
    """Module.take_login: keep what ``login_columns`` read for this request's ``memberships``."""
    if has_app_context():
        g.setdefault("collaboration_memberships", {})[member_id] = _kept(json_rows_values(values[0], _COLUMNS))


def memberships_read() -> dict[int, list[tuple[MembershipRow, GroupRow]]]:
    """The memberships this request has already read (``memberships``), by member id."""
    return (g.get("collaboration_memberships") or {}) if has_app_context() else {}


def member_group_ids(member) -> set[int]:
    """Ids of the groups where ``member`` is an active member."""
    return {group.id for membership, group in memberships(member) if membership.status == "active"}


def forget_memberships() -> None:
    """Call after changing memberships within a request."""
    if has_app_context():
        g.pop("collaboration_memberships", None)


def can_see_group_content(member, group_id: int | None) -> bool:
    if member is None or not getattr(member, "is_authenticated", False):
        return False
    if group_id is None:
        return True
    return group_id in member_group_ids(member) or member.has_role("moderator")


def is_animator(member, group_id: int) -> bool:
    if member is None or not getattr(member, "is_authenticated", False):
        return False
    if member.has_role("moderator"):
        return True
    row = db.session.get(CollaborationMembership, (group_id, member.id))
    return row is not None and row.status == "active" and row.role == "animator"


def get_group(group_id: int) -> CollaborationGroup | None:
    return db.session.get(CollaborationGroup, group_id)
