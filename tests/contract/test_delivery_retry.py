"""A delivery the receiver keeps refusing: attempts are counted, Retry-After honoured, the
ticket ends ``failed`` and ``deskroute deliveries retry`` sends it once the receiver is back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.generic.connector import GenericSettings
from connectors.registry import Registry
from router.cli.main import app
from router.domain import Draft, InboundTicket, TicketState, Verdict
from router.pipeline.services import Services
from router.settings import DeliverySettings
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work
from router.store.models import utcnow
from router.worker.runner import execute
from tests.helpers_http import RecordingServer

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# drafts here are replies to customers
pytestmark = pytest.mark.usefixtures("auto_mode")


@pytest.fixture
def receiver() -> Iterator[RecordingServer]:
    with RecordingServer(status=503) as server:
        yield server


def _services(url: str, receiver: RecordingServer, attempts: int = 3) -> Services:
    generic = GenericSettings(webhook_secret=SECRET, callback_url=receiver.url)
    return Services(database_url=url, connectors=Registry({"generic": generic}),
                    delivery=DeliverySettings(delivery_attempts=attempts,
                                              delivery_backoff_seconds=0.01,
                                              delivery_backoff_max_seconds=0.05))


def _drafted(url: str, external_id: str = "d-1") -> int:
    """A ticket with an accepted draft, waiting for its ``deliver`` task."""
    with unit_of_work(url) as s:
        row, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id=external_id,
                                                     body="Do you accept PayPal?"))
        repo.add_draft(s, row.id, Draft(backend="template", model="t", text="Yes, PayPal."),
                       Verdict(score=1.0))
        repo.set_state(s, row, TicketState.DRAFTED)
        for o in s.scalars(select(m.OutboxRow)):
            o.status = "done"
        return row.id


def _run_due(url: str, services: Services) -> int:
    """Run every due outbox row once (pretending the back-off elapsed); return how many."""
    with unit_of_work(url) as s:
        rows = [(o.id, o.task, o.ticket_id) for o in
                s.scalars(select(m.OutboxRow).where(m.OutboxRow.status == "pending"))]
    for oid, task, tid in rows:
        execute(task, tid, oid, services=services, url=url)
    return len(rows)


def test_failing_receiver_ends_in_a_failed_delivery_that_retry_sends(
        sqlite_url: str, receiver: RecordingServer) -> None:
    services = _services(sqlite_url, receiver, attempts=3)
    tid = _drafted(sqlite_url)
    execute("deliver", tid, services=services, url=sqlite_url)
    while _run_due(sqlite_url, services):
        pass
    assert len(receiver.requests) == 3  # the attempt budget, no more
    with unit_of_work(sqlite_url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == "failed"
        assert ticket.meta["delivery_failed"]["kind"] == "reply"
        assert "503" in ticket.meta["delivery_failed"]["error"]
        attempts = repo.delivery_attempts(s, tid)
        assert [a.ok for a in attempts] == [False] * 3  # every attempt reached the store

    runner = CliRunner()
    listed = runner.invoke(app, ["deliveries", "list", "--json", "--database-url", sqlite_url])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["id"], r["kind"], r["attempts"], r["status_code"]) for r in rows] == [
        (tid, "reply", 3, 503)]

    still_down = runner.invoke(app, ["deliveries", "retry", str(tid), "--database-url",
                                     sqlite_url], env={"DESKROUTE_CALLBACK_URL": receiver.url,
                                                       "DESKROUTE_WEBHOOK_SECRET": SECRET})
    assert still_down.exit_code == 1 and "failed again" in still_down.output

    receiver.status = 200
    sent = runner.invoke(app, ["deliveries", "retry", str(tid), "--database-url", sqlite_url],
                         env={"DESKROUTE_CALLBACK_URL": receiver.url,
                              "DESKROUTE_WEBHOOK_SECRET": SECRET})
    assert sent.exit_code == 0, sent.output
    assert "reply sent (delivered)" in sent.output
    assert json.loads(receiver.requests[-1]["body"])["text"] == "Yes, PayPal."
    with unit_of_work(sqlite_url) as s:
        assert repo.get_ticket(s, tid).state == "delivered"  # type: ignore[union-attr]
        assert repo.failed_deliveries(s) == []
    again = runner.invoke(app, ["deliveries", "retry", str(tid), "--database-url", sqlite_url])
    assert again.exit_code == 2 and "not failed" in again.output


def test_retry_after_sets_when_the_next_attempt_is_due(
        sqlite_url: str, receiver: RecordingServer) -> None:
    receiver.status = 429
    receiver.headers = {"Retry-After": "120"}
    services = _services(sqlite_url, receiver)
    tid = _drafted(sqlite_url)
    before = utcnow()
    execute("deliver", tid, services=services, url=sqlite_url)
    with unit_of_work(sqlite_url) as s:
        pending = list(s.scalars(select(m.OutboxRow).where(m.OutboxRow.status == "pending")))
        assert len(pending) == 1 and pending[0].task == "deliver"
        due = pending[0].available_at.replace(tzinfo=before.tzinfo)
        assert before + timedelta(seconds=119) <= due <= utcnow() + timedelta(seconds=121)
        assert repo.get_ticket(s, tid).state == "drafted"  # type: ignore[union-attr]
        assert repo.delivery_attempts(s, tid)[0].status_code == 429


def test_a_refused_reply_escalates_instead_of_retrying(
        sqlite_url: str, receiver: RecordingServer) -> None:
    receiver.status = 422  # the receiver says no for good: a human must see it
    services = _services(sqlite_url, receiver)
    tid = _drafted(sqlite_url)
    assert execute("deliver", tid, services=services, url=sqlite_url) == "escalate"
    receiver.status = 200
    _run_due(sqlite_url, services)
    with unit_of_work(sqlite_url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == "escalated"
        assert "reply delivery failed" in (ticket.reason or "")
    kinds = [json.loads(r["body"])["type"] for r in receiver.requests]
    assert kinds == ["ticket.reply", "ticket.escalated"]
