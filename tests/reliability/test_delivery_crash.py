"""A worker killed after the receiver got the reply, before its commit (issue 14): the attempt
was recorded before the call, so the next run knows the vendor may have it. The generic hook
re-sends with the same webhook-id (the receiver drops the copy); a connector that cannot
dedupe is not re-sent blindly: the ticket ends failed for an operator to check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.generic.connector import GenericConnector
from router.cli.main import app
from router.domain import Draft, InboundTicket, TicketState, Verdict
from router.pipeline.services import Services
from router.store import models as m
from router.store import outbox, repo
from router.store.db import unit_of_work
from router.worker.runner import execute
from tests.helpers_http import RecordingServer
from tests.rollout_policy import use_mode

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WORKER = textwrap.dedent("""
    import sys
    from router.worker.runner import execute
    url, ticket_id, outbox_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    execute("deliver", ticket_id, outbox_id, url=url)
""")


def _drafted(url: str) -> tuple[int, int]:
    with unit_of_work(url) as s:
        row, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id="crash-1",
                                                     body="Do you accept PayPal?"))
        repo.add_draft(s, row.id, Draft(backend="template", model="t", text="Yes, PayPal."),
                       Verdict(score=1.0))
        repo.set_state(s, row, TicketState.DRAFTED)
        for o in s.scalars(select(m.OutboxRow)):
            o.status = "done"
        return row.id, outbox.add_outbox(s, "deliver", row.id)


@pytest.fixture
def crashed(sqlite_url: str, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Any:
    """A deliver task whose worker is SIGKILLed once the receiver has the reply."""
    use_mode(monkeypatch, tmp_path, "auto")
    receiver = RecordingServer(status=200).__enter__()
    monkeypatch.setenv("DESKROUTE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DESKROUTE_CALLBACK_URL", receiver.url)
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    tid, oid = _drafted(sqlite_url)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    proc = subprocess.Popen([sys.executable, str(script), sqlite_url, str(tid), str(oid)],
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    receiver.on_request = lambda _req: os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(120) == -signal.SIGKILL
    receiver.on_request = None
    with unit_of_work(sqlite_url) as s:  # recorded before the call: not a silent gap
        attempts = repo.delivery_attempts(s, tid)
        assert len(attempts) == 1 and attempts[0].finished_at is None
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == "drafted"
    yield receiver, tid, oid
    receiver.__exit__(None, None, None)


def test_generic_hook_resends_with_the_same_webhook_id(crashed: Any, sqlite_url: str) -> None:
    receiver, tid, oid = crashed
    execute("deliver", tid, oid, services=Services(database_url=sqlite_url), url=sqlite_url)
    ids = [r["headers"].get("webhook-id") for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1], ids  # the receiver can drop the copy
    assert [json.loads(r["body"])["text"] for r in receiver.requests] == ["Yes, PayPal."] * 2
    with unit_of_work(sqlite_url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == "delivered"
        first, second = repo.delivery_attempts(s, tid)
        assert first.finished_at is not None and "cut off" in (first.error or "")
        assert second.ok


def test_a_channel_that_cannot_dedupe_is_not_sent_twice(
        crashed: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver, tid, oid = crashed
    monkeypatch.setattr(GenericConnector, "idempotent_delivery", False)
    execute("deliver", tid, oid, services=Services(database_url=sqlite_url), url=sqlite_url)
    assert len(receiver.requests) == 1  # never sent blindly a second time
    with unit_of_work(sqlite_url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == "failed"
        assert "may have received it" in ticket.meta["delivery_failed"]["error"]
    listed = CliRunner().invoke(app, ["deliveries", "list", "--json", "--database-url",
                                      sqlite_url])
    assert [r["id"] for r in json.loads(listed.stdout)] == [tid]
