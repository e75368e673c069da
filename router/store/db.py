"""Engine and session factory, created on demand (never at import)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from router.settings import StoreSettings

_SQLITE_BEGIN = "deskroute_sqlite_begin"  # execution option: "IMMEDIATE" takes the write lock


_READS = ("SELECT", "PRAGMA", "EXPLAIN", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "RELEASE")


def _is_write(statement: str) -> bool:
    return not statement.lstrip().upper().startswith(_READS)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, settings: StoreSettings | None = None) -> Engine:
    """An engine with short connect and statement timeouts on PostgreSQL (a store that is
    down or hung raises ``OperationalError`` quickly: the API answers 503, workers retry)."""
    s = settings or StoreSettings()
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # pysqlite's own transaction handling begins only before INSERT/UPDATE/DELETE, so
            # a SAVEPOINT issued first (repo.insert_ticket) ran outside any transaction and its
            # RELEASE committed: a ticket could be stored without its outbox row. SQLAlchemy's
            # documented fix: turn pysqlite's handling off and emit BEGIN ourselves.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            if conn.get_execution_options().get(_SQLITE_BEGIN) == "IMMEDIATE":
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        @event.listens_for(engine, "before_cursor_execute")
        def _write_begins(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
            # Otherwise the transaction begins at the first write (a SAVEPOINT included), as
            # BEGIN IMMEDIATE: reads before it hold no snapshot. A worker reads a ticket, waits
            # seconds for a model, then writes; had its reads begun a (deferred) transaction,
            # any commit by another thread meanwhile made that write fail at once ("database
            # is locked": a stale snapshot cannot be upgraded to a writer).
            if not cursor.connection.in_transaction and _is_write(statement):
                cursor.connection.execute("BEGIN IMMEDIATE")

        return engine
    connect_args: dict[str, object] = {"connect_timeout": s.db_connect_timeout}
    if url.startswith("postgresql") and s.db_statement_timeout > 0:
        connect_args["options"] = f"-c statement_timeout={int(s.db_statement_timeout * 1000)}"
    return create_engine(url, pool_pre_ping=True, pool_timeout=s.db_connect_timeout,
                         pool_size=s.db_pool_size,
                         connect_args=connect_args if url.startswith("postgresql") else {})


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str | None = None) -> Engine:
    return _engine_for(url or StoreSettings().database_url)


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[Session]:
    """The task/request boundary: the only place that commits."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_write(session: Session) -> None:
    """Take SQLite's write lock when the session's transaction begins (elsewhere: nothing).

    Every SQLite transaction is a real one (see ``make_engine``), begun at the first write;
    this begins it, as IMMEDIATE, before the first read instead, so what the session reads
    and writes is one consistent snapshot. Call it before the session's first statement.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={_SQLITE_BEGIN: "IMMEDIATE"})


@contextmanager
def side_transaction(session: Session) -> Iterator[Session]:
    """A second session on ``session``'s engine that commits on leaving, whatever the first
    one later does: for the one record that must outlive a rollback or a crash — a delivery
    attempt, written before a call to a vendor that cannot be taken back.

    On SQLite, use it before the main session writes anything (a second writer waits for
    the first one's transaction).
    """
    side = Session(bind=session.get_bind(), expire_on_commit=False)
    try:
        yield side
        side.commit()
    except BaseException:
        side.rollback()
        raise
    finally:
        side.close()


def inserted_id(session: Session, stmt: Any, id_column: Any) -> int | None:
    """Run an INSERT (``ON CONFLICT DO NOTHING`` allowed): the new row's id, or None when the
    conflict clause inserted nothing. ``RETURNING`` where the database has it; SQLite before
    3.35 (the system Python of Debian 11, RHEL 9, Ubuntu 20.04) has not (a syntax error there;
    SQLAlchemy's dialect then sets ``insert_returning`` False but would still send it): there
    the row count and the cursor's last row id say the same."""
    if session.get_bind().dialect.insert_returning:
        row = session.execute(stmt.returning(id_column)).first()
        return None if row is None else int(row[0])
    result = cast(CursorResult[Any], session.execute(stmt))
    return int(result.lastrowid) if result.rowcount else None
