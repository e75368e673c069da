"""Runs one pipeline task inside one transaction, and the embedded (no Redis) worker loop."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from router.domain import TicketState
from router.logs import ticket_context
from router.pipeline.services import Services, default_services
from router.pipeline.steps import STEPS, RetryLater
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work
from router.store.models import utcnow

log = logging.getLogger(__name__)


def execute(task: str, ticket_id: int, outbox_id: int | None = None, *,
            services: Services | None = None, url: str | None = None) -> str | None:
    """Run ``task`` for a ticket; the next task's outbox row commits with the step's writes.

    Unexpected errors end the ticket in ``escalated`` with the error as reason (never a drop).
    """
    with ticket_context(ticket_id, task):  # every log line of this task names the ticket
        return _execute(task, ticket_id, outbox_id, services=services, url=url)


def _execute(task: str, ticket_id: int, outbox_id: int | None, *,
             services: Services | None, url: str | None) -> str | None:
    services = services or default_services()
    step = STEPS[task]
    started = time.perf_counter()
    try:
        with unit_of_work(url) as session:
            ticket = repo.get_ticket(session, ticket_id, lock=True)
            if ticket is None:
                if outbox_id:
                    repo.mark_done(session, outbox_id)
                return None
            next_task = step(session, services, ticket)
            if next_task:
                repo.add_outbox(session, next_task, ticket_id)
            if outbox_id:
                repo.mark_done(session, outbox_id)
        log.info("task %s done in %.0f ms, next: %s", task,
                 (time.perf_counter() - started) * 1000, next_task or "none")
        return next_task
    except RetryLater as exc:
        log.warning("task %s will be retried in %.0f s: %s", task, exc.delay, exc)
        _retry(outbox_id, exc.delay, url)
        return None
    except Exception as exc:  # the ticket must not be lost on a bug or a crash in a step
        log.exception("task %s failed for ticket %s", task, ticket_id)
        _fail_to_human(task, ticket_id, outbox_id, exc, url)
        return "deliver"


def _retry(outbox_id: int | None, delay: float, url: str | None) -> None:
    if not outbox_id:
        return
    with unit_of_work(url) as session:
        row = session.get(m.OutboxRow, outbox_id)
        if row is not None:
            row.status = "pending"
            row.available_at = utcnow() + timedelta(seconds=delay)


def _fail_to_human(task: str, ticket_id: int, outbox_id: int | None, exc: Exception,
                   url: str | None) -> None:
    with unit_of_work(url) as session:
        ticket = repo.get_ticket(session, ticket_id)
        if ticket is None:
            return
        reason = f"{task} step failed: {type(exc).__name__}: {exc}"
        if task == "deliver":
            # Even the escalation could not be delivered: record it where reports see it.
            repo.set_state(session, ticket, TicketState.ESCALATED, reason=reason)
        else:
            ticket.reason = reason
            repo.add_outbox(session, "deliver", ticket_id)
        if outbox_id:
            repo.mark_done(session, outbox_id)


def drain(*, services: Services | None = None, url: str | None = None,
          max_seconds: float | None = None, on_task=None) -> int:  # type: ignore[no-untyped-def]
    """Process pending outbox rows in-process until none is due. Returns tasks run."""
    started, ran = time.monotonic(), 0
    while True:
        with unit_of_work(url) as session:
            claimed = repo.claim_outbox(session, stuck_after=timedelta(hours=1), limit=50)
            rows = [(r.id, r.task, r.ticket_id) for r in claimed]
            for r in claimed:
                repo.mark_enqueued(session, r)
        if not rows:
            return ran
        for outbox_id, task, ticket_id in rows:
            execute(task, ticket_id, outbox_id, services=services, url=url)
            ran += 1
            if on_task is not None:
                on_task(task, ticket_id)
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            return ran


class EmbeddedWorker(threading.Thread):
    """The no-Redis default: one background thread draining the SQL outbox."""

    def __init__(self, *, url: str | None = None, poll: float = 0.25) -> None:
        super().__init__(name="deskroute-embedded-worker", daemon=True)
        self._url, self._poll = url, poll
        self._stop_event = threading.Event()
        self._wake = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                ran = drain(url=self._url, max_seconds=5)
            except Exception:  # keep the worker alive; the rows stay pending
                log.exception("embedded worker loop failed")
                ran = 0
            if not ran:
                self._wake.wait(self._poll)
                self._wake.clear()

    def wake(self) -> None:
        """Look at the outbox now (a webhook just committed a ticket); never blocks."""
        self._wake.set()

    def stop(self) -> None:
        self._stop_event.set()
        self._wake.set()
