"""One delivery call, recorded before it is made.

A reply that reached the vendor cannot be taken back, so the attempt is written and committed
(:func:`router.store.db.side_transaction`) before the call and finished after it. A worker
killed during the call leaves the attempt unfinished; the next run of the task finds it and
knows the vendor may have the message. A connector whose repeated calls cannot reach the
customer twice (``Connector.idempotent_delivery``: the same message id on every attempt) then
sends again; any other ends ``failed`` for an operator to check, never sent blindly twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from connectors.base import Connector, DeliveryResult
from router.store import repo
from router.store.db import side_transaction


@dataclass(frozen=True)
class InDoubt:
    """An earlier attempt was cut off mid-call and this connector cannot dedupe a re-send."""

    error: str


def send_recorded(session: Session, ticket_id: int, connector: Connector, kind: str,
                  call: Callable[[], DeliveryResult], *, since: int = 0
                  ) -> DeliveryResult | InDoubt:
    """Make one delivery call with its attempt stored first. Call before ``session`` writes
    anything (the attempt commits on its own, and SQLite has one writer at a time)."""
    cut_off = repo.unfinished_delivery(session, ticket_id, kind=kind, after_id=since)
    with side_transaction(session) as side:
        if cut_off is not None:
            doubt = (f"cut off: the worker stopped during the call, so {connector.name} may "
                     "have received it")
            repo.finish_delivery(side, cut_off.id, ok=False, error=doubt)
            if not connector.idempotent_delivery:
                return InDoubt(f"{doubt}; not re-sent automatically (the channel could show it "
                               "twice): check the conversation, then `deskroute deliveries "
                               "retry` if it is missing")
        attempt = repo.begin_delivery(side, ticket_id, kind=kind, connector=connector.name)
    result = call()
    repo.finish_delivery(session, attempt.id, ok=result.ok, status_code=result.status_code,
                         error=result.error)
    return result
