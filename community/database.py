"""Engine tuning: SQLite WAL + busy_timeout + BEGIN IMMEDIATE for writers; after-commit hooks.

SQLite cannot upgrade a deferred transaction that has read into a writer when another
connection writes meanwhile (it fails at once with "database is locked"). So requests that
may write (anything but GET/HEAD/OPTIONS, and all CLI work) start with BEGIN IMMEDIATE,
which waits up to busy_timeout for the write lock; read-only requests stay deferred so
readers never queue behind writers (WAL lets them read concurrently).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import Boolean, Date, DateTime, Integer, String, Text, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from .extensions import db

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_PREPARED: dict = {}


def prepared(key, build: Callable):
    """The statement ``build()`` makes, built once per process and kept under ``key``. Statements
    run on every page (the member's login, module states, settings, memberships, the feed) take
    their values as bound parameters: SQLAlchemy then reuses the tree, its cache key and the
    compiled SQL instead of building them again on each request (bench/http_pages.py)."""
    statement = _PREPARED.get(key)
    if statement is None:
        statement = _PREPARED.setdefault(key, build())
    return statement


def run(statement, params: dict | None = None):
    """Execute a statement that selects plain columns (no ORM entity) on the session's
    connection: the same transaction as ``db.session.execute``, without the ORM's per-statement
    work (about 50 µs less each, measured; several run on every page). Pending ORM changes are
    flushed first, as ``db.session.execute`` would (autoflush), so the statement sees them."""
    return _connection().execute(statement, params or {})


def _connection():
    """The session's connection (its transaction begun), pending ORM changes flushed first as
    ``db.session.execute`` would (autoflush), so that a statement sees them."""
    session = db.session()
    if session.autoflush:
        session.flush()  # returns at once when nothing is pending
    return session.connection()


class _Slot:
    """A stand-in for one bound value while a statement's shape is worked out (``_Shape``)."""

    __slots__ = ("name", "index")

    def __init__(self, name: str, index: int | None):
        self.name, self.index = name, index


class _Shape:
    """One statement compiled for one dialect and one length of each list parameter: its SQL, where
    each value it sends comes from (a caller's parameter, an item of a list parameter, or a value
    fixed in the statement) with its bind processor, and, once executed, each column's result
    processor."""

    __slots__ = ("sql", "names", "sources", "results")

    def __init__(self, compiled, params: dict):
        sample = {name: [_Slot(name, i) for i in range(len(value))] if isinstance(value, list | tuple)
                  else _Slot(name, None) for name, value in params.items()}
        state = compiled.construct_expanded_state(sample)
        self.sql = state.statement
        order = state.positiontup if state.positiontup is not None else list(state.parameters)
        self.names = None if state.positiontup is not None else tuple(order)
        processors = {**compiled._bind_processors, **state.processors}  # the fixed ones, the expanded ones
        sources = []
        for name in order:
            value = state.parameters[name]
            processor = processors.get(name)
            if isinstance(value, _Slot):
                sources.append((value.name, value.index, processor))
            else:  # a value written in the statement: sent as it is, processed once here
                sources.append((None, processor(value) if processor else value, None))
        self.sources = tuple(sources)
        self.results = None

    def values(self, params: dict):
        out = []
        for name, index, processor in self.sources:
            if name is None:
                out.append(index)
                continue
            value = params[name] if index is None else params[name][index]
            out.append(processor(value) if processor is not None else value)
        return tuple(out) if self.names is None else dict(zip(self.names, out, strict=True))


_SHAPES: dict = {}


def rows(statement, params: dict | None = None) -> list[tuple]:
    """``run(statement, params).all()`` as plain tuples, for the few statements every page runs
    (the login, the memberships, the feed): the statement is compiled once per dialect and shape
    (``_Shape``) and sent on the session's own DBAPI connection, in its transaction, with the
    engine's cursor events (query counts) and its error handling. SQLAlchemy's execution path
    (execution context, result metadata, row objects) cost several times the database's own work
    on these pages (bench/http_pages.py). Statements whose SQL needs a value rendered in it fall
    back to ``run()``."""
    params = params or {}
    conn = _connection()
    dialect = conn.dialect
    lists = tuple(len(v) for v in params.values() if isinstance(v, list | tuple))
    key = (id(statement), dialect.name, dialect.paramstyle, lists)
    found = _SHAPES.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        if len(_SHAPES) >= 512:  # only prepared statements come here: a few dozen shapes
            _SHAPES.clear()
        # the statement is kept with its shape: its id() cannot be reused while the entry lives
        found = _SHAPES[key] = (statement, None if compiled.literal_execute_params else _Shape(compiled, params),
                                compiled)
    _kept, shape, compiled = found
    if shape is None or conn._echo:  # a value rendered in the SQL, or the engine logs its statements
        return [tuple(row) for row in run(statement, params)]
    values = shape.values(params)
    cursor = conn.connection.dbapi_connection.cursor()
    sql = shape.sql
    try:
        if conn._has_events or conn.engine._has_events:
            conn.dispatch.before_cursor_execute(conn, cursor, sql, values, None, False)
        cursor.execute(sql, values)
        fetched = cursor.fetchall()
        if shape.results is None:
            shape.results = tuple((i, p) for i, p in enumerate(
                entry.type._cached_result_processor(dialect, description[1])
                for entry, description in zip(compiled._result_columns, cursor.description, strict=True))
                if p is not None)
    except dialect.loaded_dbapi.Error as error:
        conn._handle_dbapi_exception(error, sql, values, cursor, None)
    finally:
        cursor.close()
    processors = shape.results
    if not processors:
        return [tuple(row) for row in fetched]
    out = []
    for row in fetched:
        row = list(row)
        for index, processor in processors:
            row[index] = processor(row[index])
        out.append(tuple(row))
    return out


class json_rows(FunctionElement):  # noqa: N801 - a SQL function, named like SQLAlchemy's
    """The rows of a (correlated) subquery's ``columns`` as one JSON text, an array of arrays:
    ``json_group_array(json_array(...))`` on SQLite, ``json_agg(json_build_array(...))`` on
    PostgreSQL. It lets a statement that runs anyway (the member's login) bring a few rows of
    another table without a statement of their own; ``json_rows_values`` decodes them. The database
    escapes the text, so any value (a group's name) is safe. Only plain column types are allowed:
    integers, text, booleans, dates and times."""

    type = Text()
    inherit_cache = True
    name = "json_rows"

    def __init__(self, *columns):
        for column in columns:
            if not isinstance(column.type, (Integer, String, Boolean, DateTime, Date)):
                raise TypeError(f"json_rows cannot carry {column} ({column.type})")
        super().__init__(*columns)


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element, compiler, **kw):
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw):
    return f"CAST(json_agg(json_build_array({compiler.process(element.clauses, **kw)})) AS TEXT)"


def _json_decoder(column) -> Callable | None:
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat  # SQLite's stored text, PostgreSQL's ISO form (with a T)
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, Boolean):
        return bool  # SQLite gives 0 or 1
    return None


_JSON_DECODERS: dict[tuple, tuple] = {}


def json_rows_values(value, columns: Sequence) -> list[tuple]:
    """The rows ``json_rows(*columns)`` read, as tuples of Python values (datetimes, booleans),
    as a statement selecting those columns would have given them."""
    if value is None:  # PostgreSQL's json_agg of no row
        return []
    key = tuple(columns)
    decoders = _JSON_DECODERS.get(key)
    if decoders is None:
        decoders = _JSON_DECODERS[key] = tuple(_json_decoder(column) for column in columns)
    items = json.loads(value) if isinstance(value, str) else value
    return [tuple(v if decode is None or v is None else decode(v) for decode, v in zip(decoders, item, strict=True))
            for item in items]


def wants_write() -> bool:
    """True unless we are in a read-only request (a safe HTTP method, not marked as writing)."""
    explicit = g.get("db_write") if has_app_context() else None
    if explicit is not None:
        return explicit
    if not has_request_context():
        return True
    return request.method not in READ_METHODS


def mark_writing(writing: bool = True) -> None:
    """Declare that this context will write (a Socket.IO handler that stores, True) or only
    read (False: e.g. a test's outer context, so it never holds SQLite's write lock)."""
    g.db_write = writing


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the SQLite pragmas and transaction mode on ``engine``; no-op for other backends."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # On the DBAPI connection: SQLAlchemy's execution path (exec_driver_sql) cost about 1.5 %
        # of a page's CPU for this one word. Errors (a lock that stays taken) still come as
        # SQLAlchemy's, which the error pages handle.
        sql = "BEGIN IMMEDIATE" if wants_write() else "BEGIN"
        dbapi_connection = conn.connection.dbapi_connection
        try:
            dbapi_connection.execute(sql)
        except dbapi_connection.Error as error:  # sqlite3.Connection names its module's Error
            conn._handle_dbapi_exception(error, sql, (), None, None)


def after_commit(callback: Callable[[], None], session: Session | None = None) -> None:
    """Run ``callback`` once the current transaction commits; drop it if it rolls back."""
    session = session or db.session()
    session.info.setdefault("terreau_after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session):
    callbacks = session.info.pop("terreau_after_commit", [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session):
    session.info.pop("terreau_after_commit", None)


def is_locked_error(exc: BaseException) -> bool:
    """True for SQLite's 'database is locked' (busy_timeout ran out) and PG lock timeouts."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "lock timeout" in text or "could not obtain lock" in text


class QueryCounter:
    """Counts the SQL statements an engine executes while active (tests and bench use it)."""

    IGNORED = ("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")

    def __init__(self, engine: Engine):
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(self.IGNORED):
            self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)


def count_per_request(app, engine: Engine) -> None:
    """Count SQL statements per request into the X-Query-Count response header (bench/ reads it)."""

    def _count(conn, cursor, statement, parameters, context, executemany):
        if has_request_context() and not statement.lstrip().upper().startswith(QueryCounter.IGNORED):
            g.query_count = g.get("query_count", 0) + 1

    event.listen(engine, "before_cursor_execute", _count)

    @app.after_request
    def _header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response


def refresh_statistics() -> None:
    """Let the query planner see the data's shape (after bulk loads, and daily via prune)."""
    db.session.execute(text("ANALYZE"))  # the same statement on SQLite and PostgreSQL
    db.session.commit()
