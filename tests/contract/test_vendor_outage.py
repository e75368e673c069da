"""A helpdesk API that fails: 5xx, a timeout, a 429 with Retry-After. Each delivery attempt
retries inline (jittered back-off, Retry-After honoured), the worker re-queues the next
attempt, and when the attempts run out the ticket is a failed delivery that ``deskroute
deliveries retry`` sends once the vendor is back — exactly once, nothing lost, no secret in
any log line, stored error or CLI output.

The ticket arrives by the vendor's real webhook; its answer is stored as an accepted draft
directly (the answering pipeline is covered by test_end_to_end), so this runs no model.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.registry import Registry
from router.cli.main import app as cli
from router.domain import Draft, TicketState, Verdict
from router.pipeline.services import Services
from router.settings import DeliverySettings
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work
from router.worker.runner import execute
from tests.contract.vendors import KITS, Kit

ANSWER = "Yes, we accept PayPal at checkout."

# drafts here are replies to customers
pytestmark = pytest.mark.usefixtures("auto_mode")


@pytest.fixture(params=sorted(KITS))
def kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    with KITS[request.param]() as k:
        yield k


def _received_and_drafted(kit: Kit, client: TestClient, url: str) -> tuple[str, int]:
    conv = kit.open("Do you accept PayPal?")
    body, headers = kit.opened_webhook(conv)
    tid = client.post(f"/webhooks/{kit.name}", content=body, headers=headers).json()["ticket_id"]
    with unit_of_work(url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None
        repo.add_draft(s, tid, Draft(backend="template", model="t", text=ANSWER),
                       Verdict(score=1.0))
        repo.set_state(s, ticket, TicketState.DRAFTED)
        for row in s.scalars(select(m.OutboxRow)):
            row.status = "done"
    return conv, tid


def _run_until_settled(url: str, services: Services, tid: int) -> None:
    execute("deliver", tid, services=services, url=url)
    for _ in range(200):
        with unit_of_work(url) as s:
            ticket = repo.get_ticket(s, tid)
            assert ticket is not None
            if ticket.state in ("failed", "delivered"):
                return
            due = [(o.id, o.task) for o in s.scalars(
                select(m.OutboxRow).where(m.OutboxRow.status == "pending",
                                          m.OutboxRow.available_at <= m.utcnow()))]
        for oid, task in due:
            execute(task, tid, oid, services=services, url=url)
        time.sleep(0.02)
    raise AssertionError("delivery never settled")


def test_outage_ends_in_a_failed_delivery_that_retry_sends_once(
        kit: Kit, sqlite_url: str, app_for: Callable[..., TestClient],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = sqlite_url
    settings = kit.settings(retry_attempts=2)
    client = app_for(url, **{kit.name: settings})
    conv, tid = _received_and_drafted(kit, client, url)
    services = Services(database_url=url, connectors=Registry({kit.name: settings}),
                        delivery=DeliverySettings(delivery_attempts=3,
                                                  delivery_backoff_seconds=0.02,
                                                  delivery_backoff_max_seconds=0.05))
    fake, only = kit.fake, kit.reply_path
    fake.fail_next(2, status=503, only=only)                       # attempt 1: 503, 503
    fake.fail_next(1, status=200, delay=1.5, only=only)             # attempt 2: read timeout
    fake.fail_next(1, status=429, headers={"Retry-After": "1"}, only=only)  # attempt 3: 429,
    fake.fail_next(1, status=500, only=only)                        # waits 1 s, then 500
    _run_until_settled(url, services, tid)

    calls = fake.calls()
    reply_calls = [r for r in calls if re.search(only, f"{r.method} {r.path}")]
    assert len(reply_calls) == 5 and not fake.faults
    after_429 = reply_calls[4].at - reply_calls[3].at
    assert after_429 >= 0.95, f"Retry-After: 1 not honoured ({after_429:.2f} s)"
    assert kit.replies(conv) == []  # no half-sent reply during the outage
    with unit_of_work(url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == "failed"
        attempts = repo.delivery_attempts(s, tid)
        assert [a.status_code for a in attempts] == [503, None, 500]
        assert "ReadTimeout" in (attempts[1].error or "")
        stored_errors = " ".join(a.error or "" for a in attempts)

    runner = CliRunner()
    listed = runner.invoke(cli, ["deliveries", "list", "--database-url", url, "--json"])
    assert [r["id"] for r in json.loads(listed.output)] == [tid]
    sent = runner.invoke(cli, ["deliveries", "retry", str(tid), "--database-url", url],
                         env=kit.env())
    assert sent.exit_code == 0, sent.output
    assert kit.replies(conv) == [ANSWER]
    with unit_of_work(url) as s:
        assert repo.get_ticket(s, tid).state == "delivered"  # type: ignore[union-attr]
    for secret in kit.secrets():
        for where, text in (("logs", caplog.text), ("stored errors", stored_errors),
                            ("CLI output", listed.output + sent.output)):
            assert secret not in text, f"{kit.name} secret leaked into {where}"
