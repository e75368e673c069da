"""The outbox relay: moves committed outbox rows onto the broker.

The webhook and every task call it right after their commit (the fast path); a periodic
relay loop covers a crash or a broker outage between commit and enqueue, and re-sends rows
that were enqueued long ago but never finished (a lost message).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import Celery

from router.settings import QueueSettings
from router.store import repo
from router.store.db import unit_of_work

log = logging.getLogger(__name__)


def relay_once(app: Celery, *, url: str | None = None, stuck_after: float | None = None) -> int:
    """Enqueue due outbox rows; return how many were sent. Broker errors leave rows pending."""
    stuck = timedelta(seconds=stuck_after if stuck_after is not None
                      else QueueSettings().outbox_stuck_seconds)
    from router.worker.celery_app import send

    sent = 0
    with unit_of_work(url) as session:
        for row in repo.claim_outbox(session, stuck_after=stuck):
            try:
                send(app, row.task, row.ticket_id, row.id)
            except Exception as exc:  # broker down: keep the row pending for the next pass
                log.warning("broker unavailable, outbox row %s stays pending: %s", row.id, exc)
                break
            repo.mark_enqueued(session, row)
            sent += 1
    return sent


def enqueue_next(app: Celery, url: str | None = None) -> None:
    try:
        relay_once(app, url=url)
    except Exception:  # the periodic relay will pick the row up
        log.exception("fast-path relay failed")


class Relay(threading.Thread):
    """The periodic relay: the API's background thread and ``deskroute relay`` (in the
    foreground, through :meth:`run`). A failed pass (database or broker down) is logged and
    retried after a back-off; the loop itself never ends on an error."""

    def __init__(self, app: Celery, *, url: str | None = None, every: float = 1.0,
                 max_backoff: float = 30.0) -> None:
        super().__init__(name="deskroute-relay", daemon=True)
        self._app, self._url, self._every = app, url, every
        self._max_backoff = max(every, max_backoff)
        self._stop_event = threading.Event()
        self._wake = threading.Event()
        self.failures = 0  # consecutive failed passes (0 = the last pass worked)

    def run(self) -> None:
        while not self._stop_event.is_set():
            wait = self._every
            try:
                relay_once(self._app, url=self._url)
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
