"""community.database.rows(): the lean path of the statements every page runs gives what
SQLAlchemy's own execution gives, in the same transaction, counted, with SQLAlchemy's errors."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, exc, func, select

from community.auth.service import _persistent_member
from community.database import QueryCounter, prepared, rows, run
from community.extensions import db
from community.models import Activity, Member


def _activities(make_member):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    made = []
    for index, (actor, audience) in enumerate([(ana, "public"), (bob, "members"), (ana, "member:2"),
                                               (bob, "public"), (None, "public")]):
        activity = Activity(actor_id=actor.id if actor else None, verb="test.thing", module="test",
                            object_type="thing", object_id=str(index), audience=audience,
                            data={"n": index, "text": "é\u2028\x1f", "list": [True, None]},
                            created_at=datetime(2026, 1, 2, 3, 4, 5, index * 1000 if index else 0))
        db.session.add(activity)
        made.append(activity)
    db.session.commit()
    return ana, bob, made


def _statement():
    return prepared("test.rows", lambda: (
        select(Activity.id, Activity.actor_id, Activity.audience, Activity.data, Activity.created_at,
               Member.handle, Member.in_directory, func.count().over().label("total"))
        .outerjoin(Member, Member.id == Activity.actor_id)
        .where(Activity.audience.in_(bindparam("audiences", expanding=True)),
               Activity.created_at >= bindparam("since"), Activity.verb == "test.thing")
        .order_by(Activity.id.desc())))


def test_rows_give_what_sqlalchemy_gives_for_every_list_length(app, make_member):
    _activities(make_member)
    since = datetime(2026, 1, 2, 3, 4, 5)  # no microseconds: written as SQLAlchemy writes it
    for audiences in (["public"], ["public", "members"], ["public", "members", "member:2", "x"], ["nobody"]):
        params = {"audiences": audiences, "since": since}
        expected = [tuple(row) for row in run(_statement(), params).all()]
        assert rows(_statement(), params) == expected
    got = rows(_statement(), {"audiences": ["public", "members"], "since": since})
    assert [row[2] for row in got] == ["public", "public", "members", "public"]
    assert got[0][3] == {"n": 4, "text": "é\u2028\x1f", "list": [True, None]}  # JSON decoded
    assert isinstance(got[0][4], datetime) and got[0][4].microsecond == 4000
    assert got[0][5] is None and got[1][6] is False  # outer join's NULL; a boolean, not 0


def test_rows_send_bound_values_through_their_types(app, make_member):
    """A datetime goes to the database as SQLAlchemy writes it (SQLite compares text: the sqlite3
    module's own format drops zero microseconds and would compare differently)."""
    _activities(make_member)
    exact = datetime(2026, 1, 2, 3, 4, 5)
    found = rows(_statement(), {"audiences": ["public", "members", "member:2"], "since": exact})
    assert [row[4] for row in found][-1] == exact  # the first activity, at exactly that time, is in


def test_rows_are_counted_flushed_and_in_the_session_transaction(app, make_member):
    ana, _bob, _made = _activities(make_member)
    ident = ana.id
    ana.display_name = "Ana Renamed"  # pending: autoflush sends it before the statement
    statement = prepared("test.rows.name", lambda: select(Member.display_name).where(Member.id == bindparam("id")))
    with QueryCounter(db.engine) as counter:
        assert rows(statement, {"id": ident}) == [("Ana Renamed",)]
    assert counter.count == 2  # the flush's UPDATE, then the statement
    db.session.rollback()  # same transaction: the flushed change goes with it
    assert rows(statement, {"id": ana.id}) == [("Ana",)]


def test_database_errors_come_as_sqlalchemy_errors(app):
    missing = Table("no_such_table", MetaData(), Column("id", Integer))
    statement = select(missing.c.id).where(missing.c.id == bindparam("id"))
    with pytest.raises(exc.DBAPIError) as caught:
        rows(statement, {"id": 1})
    assert "no_such_table" in str(caught.value)
    db.session.rollback()
    assert rows(prepared("test.rows.one", lambda: select(func.count()).select_from(Member)), {}) == [(0,)]


def test_the_login_member_is_a_persistent_object_of_the_session(app, make_member):
    ana = make_member(handle="ana")
    ident = ana.id
    db.session.commit()
    db.session.expunge_all()
    values = db.session.execute(select(*Member.__table__.c).where(Member.id == ident)).one()
    member = _persistent_member(tuple(values))
    assert member in db.session and not db.session.dirty
    assert db.session.get(Member, ident) is member  # in the identity map: no second object
    assert member.tags == []  # relationships load as they would after a query
    member.display_name = "Ana Changed"
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(Member, ident).display_name == "Ana Changed"
    # A session that already holds the member gives that object back, as a query would.
    held = db.session.get(Member, ident)
    assert _persistent_member(tuple(values)) is held


def test_json_rows_refuse_columns_json_cannot_carry_back():
    from community.database import json_rows

    with pytest.raises(TypeError):
        json_rows(Activity.id, Activity.data)  # JSON in JSON would come back as text


def test_a_new_process_whose_first_work_is_a_login_loads_the_member(app, make_member, tmp_path):
    """In a new process the ORM's mappers are configured by the first ORM work. The login builds
    its member without an ORM query (the lean path) and may come first (a socket's connect runs no
    before_request): it must still give a member. (Building the login statement configures them
    today; _persistent_member checks, so that this stays true if that changes.)"""
    import subprocess
    import sys
    from pathlib import Path

    from community.models import MemberSession

    ana = make_member(handle="ana")
    db.session.add(MemberSession(id="first-work", member_id=ana.id))
    db.session.commit()
    script = (
        "import sys\n"
        "from community import create_app\n"
        "from community.auth.service import _load_member\n"
        "from community.models import Member\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': {str(db.engine.url.render_as_string(hide_password=False))!r}, "
        f"'SECRET_KEY': 'x', 'INSTANCE_PATH': {str(tmp_path / 'instance')!r}}})\n"
        "assert not Member.__mapper__.configured\n"
        "with app.test_request_context('/'):\n"
        f"    member = _load_member('{ana.id}:first-work')\n"
        "    print(member.handle, member.display_name)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ana", "Ana"]
