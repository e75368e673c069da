"""The outbox relay: moves committed outbox rows onto the broker.

The webhook and every task call it right after their commit (the fast path); a periodic
relay loop covers a crash or a broker outage between commit and enqueue, re-sends the task of
a worker that was killed (its lease ran out) and, with a doubling wait, a message that was
enqueued but never started (lost with a broker restart).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from celery import Celery

from router.pipeline.workflow import PRIORITY, queue_of
from router.settings import QueueSettings
from router.store import outbox
from router.store.db import unit_of_work
from router.store.models import OutboxRow, utcnow

log = logging.getLogger(__name__)


def task_name(task: str) -> str:
    return f"deskroute.{task}"


def send(app: Celery, task: str, ticket_id: int, outbox_id: int, producer: Any = None) -> None:
    app.send_task(task_name(task), args=[ticket_id, outbox_id], queue=queue_of(task),
                  producer=producer)


def relay_once(app: Celery, *, url: str | None = None, settings: QueueSettings,
               reclaim: bool = True) -> int:
    """Send due outbox rows to the broker; return how many were sent. Due: new rows, rows a
    worker's lease ran out on (it was killed), and enqueued rows no worker started within the
    (doubling) re-send wait. Broker errors leave rows due for the next pass. ``reclaim``
    first makes due the rows of this host's killed workers (the periodic pass does it; a
    worker's fast path after its own step need not)."""
    resend_after = settings.outbox_stuck_seconds
    sent: list[OutboxRow] = []
    with unit_of_work(url) as session:
        if reclaim:
            outbox.reclaim_orphans(session)  # killed workers of this host: no need to wait
        rows = outbox.due_outbox(session, priority=PRIORITY)
        if not rows:
            return 0
        try:
            with app.producer_or_acquire() as producer:  # one broker channel for the batch
                for row in rows:
                    send(app, row.task, row.ticket_id, row.id, producer)
                    sent.append(row)
        except Exception as exc:  # broker down: the rows not sent stay due for the next pass
            log.warning("broker unavailable, %d outbox rows stay due: %s",
                        len(rows) - len(sent), exc)
        outbox.mark_enqueued(session, sent, resend_after=resend_after)
    return len(sent)


class Housekeeping:
    """Deletes finished outbox rows past ``DESKROUTE_OUTBOX_RETENTION_HOURS``, at most once
    every ``every`` seconds (called from the relay's and the embedded worker's loops). A
    failed clean-up is logged and retried at the next interval; it never skips a pass."""

    def __init__(self, url: str | None, settings: QueueSettings, every: float = 600.0) -> None:
        self._url, self._settings, self._every = url, settings, every
        self._last = float("-inf")

    def maybe_run(self) -> int:
        hours = self._settings.outbox_retention_hours
        if hours <= 0 or time.monotonic() - self._last < self._every:
            return 0
        self._last = time.monotonic()
        try:
            purged = self._purge(hours)
        except Exception as exc:  # clean-up only: never stops the loop's real work
            log.warning("outbox clean-up failed, next try in %.0f s: %s: %s",
                        self._every, type(exc).__name__, exc)
            return 0
        if purged:
            log.info("purged %d finished outbox rows older than %.0f h", purged, hours)
        return purged

    def _purge(self, hours: float) -> int:
        with unit_of_work(self._url) as session:
            return outbox.purge_done(session, utcnow() - timedelta(hours=hours))


def enqueue_next(app: Celery, url: str | None, settings: QueueSettings) -> None:
    try:
        relay_once(app, url=url, settings=settings, reclaim=False)
    except Exception:  # the periodic relay will pick the row up
        log.exception("fast-path relay failed")


class Relay(threading.Thread):
    """The periodic relay: the API's background thread and ``deskroute relay`` (in the
    foreground, through :meth:`run`). A failed pass (database or broker down) is logged and
    retried after a back-off; the loop itself never ends on an error."""

    def __init__(self, app: Celery, *, settings: QueueSettings, url: str | None = None,
                 every: float = 1.0, max_backoff: float = 30.0, gather: float = 0.05) -> None:
        super().__init__(name="deskroute-relay", daemon=True)
        self._app, self._url, self._every = app, url, every
        # passes start at least this far apart: under load, one pass sends the rows of many
        # woken requests instead of one pass (a few ms of CPU) per request
        self._gather = gather
        self._settings = settings
        self._max_backoff = max(every, max_backoff)
        self._stop_event = threading.Event()
        self._wake = threading.Event()
        self.failures = 0  # consecutive failed passes (0 = the last pass worked)

    def run(self) -> None:
        housekeeping = Housekeeping(self._url, self._settings)
        reclaimed = float("-inf")
        while not self._stop_event.is_set():
            wait = self._every
            started = time.monotonic()
            try:
                reclaim = started - reclaimed >= self._every  # not on every woken pass
                relay_once(self._app, url=self._url, settings=self._settings, reclaim=reclaim)
                reclaimed = started if reclaim else reclaimed
                housekeeping.maybe_run()
                if self.failures:
                    log.warning("relay recovered after %d failed passes", self.failures)
                self.failures = 0
            except Exception as exc:  # the store or the broker is down: try again later
                self.failures += 1
                wait = min(self._max_backoff, self._every * 2 ** min(self.failures, 10))
                if self.failures == 1:
                    log.exception("relay pass failed; retrying every %.0f s at most", wait)
                else:
                    log.warning("relay pass failed again (%d in a row): %s: %s",
                                self.failures, type(exc).__name__, exc)
            self._wake.wait(wait)
            self._wake.clear()
            self._stop_event.wait(max(0.0, started + self._gather - time.monotonic()))

    def wake(self) -> None:
        """Run the next pass now (the webhook's fast path; never blocks the caller)."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop and wait for a pass in flight (it holds outbox rows locked until it ends), so
        nothing of this relay is still running against the store when its owner returns."""
        self._stop_event.set()
        self._wake.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)
