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
    def __init__(self, app: Celery, *, url: str | None = None, every: float = 1.0) -> None:
        super().__init__(name="deskroute-relay", daemon=True)
        self._app, self._url, self._every = app, url, every
        self._stop_event = threading.Event()
        self._wake = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                relay_once(self._app, url=self._url)
            except Exception:
                log.exception("relay pass failed")
            self._wake.wait(self._every)
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
