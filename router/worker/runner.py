"""Runs one pipeline task inside one transaction, and the embedded (no Redis) worker.

A run first takes its outbox row's lease (its own short transaction), so a duplicate message
(a re-send, a broker redelivery) finds the row running or done and does nothing; a heartbeat
renews the lease while the step works. A row started ``task_max_runs`` times without
finishing (its step crashed or hung the worker each time) is poison: the ticket ends with the
reason instead of looping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from router.domain import TERMINAL_STATES, TicketState
from router.logs import ticket_context
from router.pipeline.services import Services, default_services
from router.pipeline.steps import STEPS
from router.pipeline.workflow import PRIORITY, Escalate, Lane, Task, acts_on, apply, lane_tasks
from router.store import outbox, repo
from router.store.db import unit_of_work
from router.store.outbox import Start

log = logging.getLogger(__name__)


def execute(task: str, ticket_id: int, outbox_id: int | None = None, *,
            services: Services | None = None, url: str | None = None) -> str | None:
    """Run ``task`` for a ticket; the next task's outbox row commits with the step's writes.

    Unexpected errors end the ticket with the error as reason (never a drop).
    """
    services = services or default_services()
    with ticket_context(ticket_id, task):  # every log line of this task names the ticket
        return _execute(task, ticket_id, outbox_id, services=services,
                        url=url or services.database_url)


def _execute(task: str, ticket_id: int, outbox_id: int | None, *, services: Services,
             url: str | None) -> str | None:
    queue = services.queue
    owner = outbox.this_worker()
    if outbox_id:
        with unit_of_work(url) as session:
            start = outbox.start_run(session, outbox_id, owner=owner,
                                     lease=queue.task_lease_seconds, max_runs=queue.task_max_runs)
        if start is Start.POISON:
            log.error("task %s for ticket %s started %d times without finishing: poison",
                      task, ticket_id, queue.task_max_runs)
            return _fail(task, ticket_id, outbox_id, url, reason=(
                f"poison: the {task} step failed to finish in {queue.task_max_runs} runs "
                "(it crashed or hung its worker each time)"))
        if start is not Start.RUN:
            log.info("task %s skipped: its outbox row is %s (a duplicate message)", task, start)
            return None
    started = time.perf_counter()
    try:
        with _Heartbeat(outbox_id, url, owner, queue.task_lease_seconds), \
                unit_of_work(url) as session:
            ticket = repo.get_ticket(session, ticket_id, lock=True)
            queued = None
            if ticket is not None and acts_on(task, ticket.state):
                queued = apply(session, ticket, STEPS[task](session, services, ticket))
            next_task = queued.value if queued else None
            if outbox_id:
                outbox.finish(session, outbox_id)
        log.info("task %s done in %.0f ms, next: %s", task,
                 (time.perf_counter() - started) * 1000, next_task or "none")
        return next_task
    except Exception as exc:  # the ticket must not be lost on a bug or a crash in a step
        log.exception("task %s failed for ticket %s", task, ticket_id)
        return _fail(task, ticket_id, outbox_id, url,
                     reason=f"{task} step failed: {type(exc).__name__}: {exc}")


def _fail(task: str, ticket_id: int, outbox_id: int | None, url: str | None, *,
          reason: str) -> str | None:
    """End a task that cannot complete: a model or decision step escalates the ticket to a
    human; a delivery step marks it ``failed`` (``deskroute deliveries`` lists and re-sends it:
    nothing was delivered, so it must not read ``escalated``)."""
    queued: Task | None = None
    with unit_of_work(url) as session:
        ticket = repo.get_ticket(session, ticket_id, lock=True)
        if ticket is not None and acts_on(task, ticket.state) \
                and TicketState(ticket.state) not in TERMINAL_STATES:
            if task in (Task.DELIVER, Task.ESCALATE):
                kind = "escalation" if task == Task.ESCALATE else "reply"
                ticket.meta = {**(ticket.meta or {}), "delivery_failed": {
                    "kind": kind, "attempts": 0, "error": reason, "status_code": None}}
                repo.set_state(session, ticket, TicketState.FAILED,
                               reason=ticket.reason or reason)
            else:
                queued = apply(session, ticket, Escalate(reason))
        if outbox_id:
            outbox.finish(session, outbox_id)
    return queued.value if queued else None


class _Heartbeat:
    """Renews a running row's lease every third of it, from a thread, while a step works."""

    def __init__(self, outbox_id: int | None, url: str | None, owner: str,
                 lease: float) -> None:
        self._id, self._url, self._owner, self._lease = outbox_id, url, owner, lease
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        if self._id:
            self._thread = threading.Thread(target=self._beat, name="deskroute-heartbeat",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        assert self._id is not None
        while not self._stop.wait(self._lease / 3):
            try:
                with unit_of_work(self._url) as session:
                    outbox.heartbeat(session, self._id, owner=self._owner, lease=self._lease)
            except Exception as exc:  # the store is down: the lease may lapse, the step goes on
                log.warning("lease heartbeat failed: %s: %s", type(exc).__name__, exc)


def drain(*, services: Services | None = None, url: str | None = None,
          max_seconds: float | None = None, on_task: Callable[[str, int], None] | None = None,
          tasks: frozenset[str] | None = None, batch: int = 20) -> int:
    """Run due outbox rows in-process, most urgent first, until none is due (or
    ``max_seconds`` passed). Returns tasks run. ``tasks`` limits it to one lane's tasks."""
    url = url or (services.database_url if services is not None else None)
    started, ran = time.monotonic(), 0
    with unit_of_work(url) as session:
        outbox.reclaim_orphans(session)  # tasks of an earlier run of this worker that crashed
    while True:
        with unit_of_work(url) as session:
            rows = [(r.id, r.task, r.ticket_id) for r in
                    outbox.due_outbox(session, tasks=tasks, priority=PRIORITY, limit=batch)]
        if not rows:
            return ran
        for outbox_id, task, ticket_id in rows:
            execute(task, ticket_id, outbox_id, services=services, url=url)
            ran += 1
            if on_task is not None:
                on_task(task, ticket_id)
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                return ran


class EmbeddedWorker:
    """The no-Redis default: one thread per lane draining the SQL outbox, so deciding and
    delivering (an urgent escalation included) never wait behind a model generating."""

    def __init__(self, *, url: str | None = None, poll: float = 0.25,
                 services: Services | None = None) -> None:
        self._lanes = [_LaneThread(lane, url=url, poll=poll, services=services,
                                   batch=1 if lane is Lane.MODEL else 20) for lane in Lane]

    def start(self) -> None:
        for lane in self._lanes:
            lane.start()

    def wake(self) -> None:
        """Look at the outbox now (a webhook just committed a ticket); never blocks."""
        for lane in self._lanes:
            lane.wake()

    def stop(self) -> None:
        for lane in self._lanes:
            lane.stop()

    def join(self, timeout: float | None = None) -> None:
        for lane in self._lanes:
            lane.join(timeout)

    def is_alive(self) -> bool:
        return any(lane.is_alive() for lane in self._lanes)


class _LaneThread(threading.Thread):
    def __init__(self, lane: Lane, *, url: str | None, poll: float,
                 services: Services | None, batch: int) -> None:
        super().__init__(name=f"deskroute-embedded-{lane.value}", daemon=True)
        self._lane = lane
        self._tasks = lane_tasks(lane)
        self._url, self._poll, self._services, self._batch = url, poll, services, batch
        self._stop_event = threading.Event()
        self._wake = threading.Event()

    def run(self) -> None:
        from router.worker.dispatch import Housekeeping

        url = self._url or (self._services.database_url if self._services else None)
        queue = (self._services or default_services()).queue  # what execute runs with
        housekeeping = Housekeeping(url, queue) if self._lane is Lane.FAST else None
        while not self._stop_event.is_set():
            try:
                if housekeeping is not None:
                    housekeeping.maybe_run()
                ran = drain(url=self._url, services=self._services, max_seconds=5,
                            tasks=self._tasks, batch=self._batch)
            except Exception:  # keep the worker alive; the rows stay due
                log.exception("embedded worker loop failed")
                ran = 0
            if not ran:
                self._wake.wait(self._poll)
                self._wake.clear()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop_event.set()
        self._wake.set()
