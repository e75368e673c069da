"""The outbox repository: every change of an outbox row's state goes through here.

A row is ``pending`` → ``enqueued`` (the relay handed it to the broker) → ``running`` (a
worker took the lease) → ``done``. ``available_at`` is when a row next needs attention (see
:class:`router.store.models.OutboxRow`), so one indexed query finds every row to (re)send:
due pending rows, enqueued rows presumed lost, running rows whose worker stopped heart-beating.
Like every repository, these functions flush and never commit.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from router.store import models as m
from router.store.db import inserted_id
from router.store.models import utcnow

PENDING, ENQUEUED, RUNNING, DONE = "pending", "enqueued", "running", "done"
MAX_RESEND_WAIT = 3600.0  # an enqueued row is re-sent at least hourly while it is not done


class Start(StrEnum):
    """What :func:`start_run` found."""

    RUN = "run"  # the lease is ours: run the step
    DONE = "done"  # already finished: a duplicate message
    BUSY = "busy"  # a live worker holds the lease: a duplicate message
    MISSING = "missing"
    POISON = "poison"  # started too often without finishing: end the ticket, do not run


def this_worker() -> str:
    """Who holds a lease: host and process id (a forked worker child has its own)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _owner_gone(owner: str | None) -> bool:
    """True when the lease holder is a process of this host that no longer exists (killed):
    its lease need not be waited out."""
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by another user
        return False
    return False


def add_outbox(session: Session, task: str, ticket_id: int, *, delay: float = 0.0) -> int:
    """Queue ``task`` (its row's id); ``delay`` seconds makes it due later (a delivery
    retry's back-off). One Core INSERT."""
    o = m.OutboxRow.__table__.c
    row_id = inserted_id(session, insert(cast(Table, m.OutboxRow.__table__)).values(
        **_new_row(task, ticket_id, delay)), o.id)
    assert row_id is not None  # a plain INSERT: no conflict clause
    return row_id


def add_outboxes(session: Session, task: str, ticket_ids: Sequence[int]) -> None:
    """Queue ``task`` for each ticket, due now: one multi-row INSERT (the webhooks' path)."""
    if ticket_ids:
        session.execute(insert(cast(Table, m.OutboxRow.__table__)),
                        [_new_row(task, ticket_id, 0.0) for ticket_id in ticket_ids])


def _new_row(task: str, ticket_id: int, delay: float) -> dict[str, Any]:
    now = utcnow()
    return {"task": task, "ticket_id": ticket_id, "status": PENDING, "attempts": 0, "runs": 0,
            "available_at": now + timedelta(seconds=delay) if delay > 0 else now,
            "created_at": now}


def due_outbox(
    session: Session, *, tasks: Collection[str] | None = None,
    priority: Mapping[str, int] | None = None, limit: int = 100,
) -> list[m.OutboxRow]:
    """Rows that need sending (or running, for the embedded worker) now, most urgent first:
    due pending rows, enqueued rows presumed lost, running rows whose lease ran out."""
    stmt = select(m.OutboxRow).where(m.OutboxRow.status != DONE,
                                     m.OutboxRow.available_at <= utcnow())
    if tasks is not None:
        stmt = stmt.where(m.OutboxRow.task.in_(sorted(tasks)))
    if priority:
        stmt = stmt.order_by(case(dict(priority), value=m.OutboxRow.task, else_=len(priority)))
    stmt = stmt.order_by(m.OutboxRow.id).limit(limit)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def reclaim_orphans(session: Session) -> int:
    """Make due now the running rows whose worker was a process of this host that is gone
    (killed, crashed): no need to wait out their lease. Returns how many."""
    prefix = socket.gethostname() + ":"
    orphans = [row for row in session.scalars(
        select(m.OutboxRow).where(m.OutboxRow.status == RUNNING,
                                  m.OutboxRow.owner.startswith(prefix, autoescape=True)))
        if _owner_gone(row.owner)]
    for row in orphans:
        row.available_at = utcnow()
    session.flush()
    return len(orphans)


def mark_enqueued(session: Session, rows: Iterable[m.OutboxRow], *, resend_after: float) -> None:
    """The rows are on the broker. Unless a worker starts one first, it is presumed lost and
    re-sent after ``resend_after`` seconds, doubling with each send (a row waiting in a long
    backlog is re-sent a few times, not every minute). One flush for all: one batched UPDATE."""
    now = utcnow()
    for row in rows:
        row.status = ENQUEUED
        row.attempts += 1
        row.enqueued_at = now
        wait = min(MAX_RESEND_WAIT, resend_after * 2 ** min(row.attempts - 1, 20))
        row.available_at = now + timedelta(seconds=wait)
    session.flush()


def start_run(session: Session, outbox_id: int, *, owner: str, lease: float,
              max_runs: int) -> Start:
    """Take the row's lease for one run (compare-and-set: two workers handed the same row,
    a redelivered message and a re-send, cannot both run it). Commit right after."""
    row = session.get(m.OutboxRow, outbox_id, populate_existing=True)
    if row is None:
        return Start.MISSING
    if row.status == DONE:
        return Start.DONE
    now = utcnow()
    owned = row.status == RUNNING and _aware(row.available_at) > now
    if owned and not _owner_gone(row.owner):
        return Start.BUSY
    cond = [m.OutboxRow.id == outbox_id, m.OutboxRow.status != DONE]
    if owned:  # its worker was killed: take over now instead of waiting out the lease
        cond.append(m.OutboxRow.owner == row.owner)
    else:
        cond.append(or_(m.OutboxRow.status != RUNNING, m.OutboxRow.available_at <= now))
    taken = session.execute(
        update(m.OutboxRow).where(*cond).values(
            status=RUNNING, owner=owner, runs=m.OutboxRow.runs + 1,
            available_at=now + timedelta(seconds=lease))
        .execution_options(synchronize_session=False))
    if getattr(taken, "rowcount", 0) != 1:
        return Start.BUSY
    runs = int(session.scalar(select(m.OutboxRow.runs).where(m.OutboxRow.id == outbox_id)) or 0)
    return Start.POISON if runs > max_runs else Start.RUN


def runs_of(session: Session, outbox_id: int) -> int:
    return int(session.scalar(select(m.OutboxRow.runs).where(m.OutboxRow.id == outbox_id)) or 0)


def heartbeat(session: Session, outbox_id: int, *, owner: str, lease: float) -> bool:
    """Extend a running row's lease; False when it is no longer ours."""
    done = session.execute(
        update(m.OutboxRow)
        .where(m.OutboxRow.id == outbox_id, m.OutboxRow.status == RUNNING,
               m.OutboxRow.owner == owner)
        .values(available_at=utcnow() + timedelta(seconds=lease))
        .execution_options(synchronize_session=False))
    return getattr(done, "rowcount", 0) == 1


def finish(session: Session, outbox_id: int) -> None:
    """Done. The owner stays: which worker process (host:pid) ran the task, for an operator
    tracing a ticket and for the fault suite's proof that every worker of a queue took work."""
    session.execute(update(m.OutboxRow).where(m.OutboxRow.id == outbox_id)
                    .values(status=DONE)
                    .execution_options(synchronize_session=False))


def release(session: Session, outbox_id: int, *, delay: float) -> None:
    """Give a started row back, due again after ``delay`` seconds."""
    session.execute(update(m.OutboxRow).where(m.OutboxRow.id == outbox_id,
                                              m.OutboxRow.status != DONE)
                    .values(status=PENDING, owner=None,
                            available_at=utcnow() + timedelta(seconds=delay))
                    .execution_options(synchronize_session=False))


def unfinished_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(m.OutboxRow)
                              .where(m.OutboxRow.status != DONE)) or 0)


def purge_done(session: Session, older_than: datetime, *, limit: int = 10_000) -> int:
    """Delete finished rows created before ``older_than`` (the retention); how many."""
    ids = select(m.OutboxRow.id).where(m.OutboxRow.status == DONE,
                                       m.OutboxRow.created_at < older_than).limit(limit)
    result = session.execute(delete(m.OutboxRow).where(m.OutboxRow.id.in_(ids))
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
