"""SQLite transactions are real ones: a savepoint released before the outer commit is not a
commit of its own (pysqlite's default handling made it one: a ticket could be stored without
its outbox row)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from router.store.db import begin_write, session_factory
from router.store.migrate import upgrade


@pytest.fixture
def url(tmp_path: Path) -> str:
    u = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(u)
    return u


def _count(url: str) -> int:
    with session_factory(url)() as s:
        return int(s.execute(text("select count(*) from kb_entries")).scalar_one())


def _insert(session, ref: str) -> None:  # type: ignore[no-untyped-def]
    session.execute(text("insert into kb_entries (kb, source, ref, title, question, answer, "
                         "content_hash, created_at) values ('t', 's', :r, '', '', 'a', :r, "
                         "CURRENT_TIMESTAMP)"), {"r": ref})


def test_a_released_savepoint_is_undone_by_the_outer_rollback(url: str) -> None:
    session = session_factory(url)()
    with session.begin_nested():  # the first statement of the transaction, as insert_ticket
        _insert(session, "x")
    session.rollback()
    session.close()
    assert _count(url) == 0


def test_begin_write_takes_the_write_lock_up_front(url: str) -> None:
    holder = session_factory(url)()
    begin_write(holder)
    _insert(holder, "a")
    other_wrote = threading.Event()

    def other() -> None:
        with session_factory(url)() as s:
            s.execute(text("PRAGMA busy_timeout=50"))
            try:
                _insert(s, "b")
                s.commit()
                other_wrote.set()
            except Exception:  # noqa: BLE001 - database is locked, as it should be
                s.rollback()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert not other_wrote.is_set()
    holder.commit()
    holder.close()
    assert _count(url) == 1


def test_reads_hold_no_snapshot_so_a_later_write_waits_instead_of_failing(url: str) -> None:
    """A worker reads a ticket, waits seconds for a model, then writes its draft; meanwhile
    the embedded worker's other lane commits. With the reads inside a deferred transaction,
    the write failed at once ("database is locked": a stale snapshot cannot become a writer)."""
    worker = session_factory(url)()
    assert _count(url) == 0
    worker.execute(text("select count(*) from kb_entries")).scalar_one()  # the step's reads
    with session_factory(url)() as other:  # the other lane writes and commits meanwhile
        _insert(other, "other")
        other.commit()
    _insert(worker, "mine")  # the step's write
    worker.commit()
    worker.close()
    assert _count(url) == 2
