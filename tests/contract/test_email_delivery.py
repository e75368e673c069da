"""Replies the SMTP server keeps refusing are never lost: retried with back-off, the ticket
ends ``failed`` with the SMTP answer, and ``deskroute deliveries retry`` sends the reply once
the server takes mail again — in the customer's thread, once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.base import NewTicket
from connectors.email.connector import EmailConnector
from connectors.email.settings import EmailSettings
from connectors.registry import Registry
from router.cli.main import app
from router.domain import Draft, TicketState, Verdict
from router.pipeline.services import Services
from router.settings import DeliverySettings
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work
from router.worker.runner import execute
from tests.contract.fakes import mail as fm
from tests.contract.test_delivery_retry import _run_due

# drafts here are replies to customers
pytestmark = pytest.mark.usefixtures("auto_mode")


def _drafted(url: str, settings: EmailSettings) -> int:
    """A ticket read from a real mail, with an accepted draft waiting for ``deliver``."""
    event = EmailConnector(settings).read_raw(fm.mail(
        "Do you accept PayPal?", subject="Payment", message_id="retry-1@customer.example"))
    assert isinstance(event, NewTicket)
    with unit_of_work(url) as s:
        row, _ = repo.insert_ticket(s, event.ticket)
        repo.add_draft(s, row.id, Draft(backend="template", model="t",
                                        text="Yes, we accept PayPal."),
                       Verdict(score=1.0))
        repo.set_state(s, row, TicketState.DRAFTED)
        for o in s.scalars(select(m.OutboxRow)):
            o.status = "done"
        return row.id


def test_greylisting_smtp_server_ends_failed_and_retry_sends_once(
        smtp: fm.FakeSMTP, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = EmailSettings(smtp_url=smtp.url, email_from=fm.FROM,
                             email_escalate_to=fm.ESCALATE_TO, email_timeout_seconds=5)
    services = Services(database_url=sqlite_url, connectors=Registry({"email": settings}),
                        delivery=DeliverySettings(delivery_attempts=3,
                                                  delivery_backoff_seconds=0.01,
                                                  delivery_backoff_max_seconds=0.05))
    tid = _drafted(sqlite_url, settings)
    smtp.fail_next("RCPT", "451 4.7.1 Greylisted, please try again later", times=3)
    execute("deliver", tid, services=services, url=sqlite_url)
    while _run_due(sqlite_url, services):
        pass
    assert smtp.messages == [] and not smtp.faults  # three attempts, all refused
    with unit_of_work(sqlite_url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == "failed"
        failed = ticket.meta["delivery_failed"]
        assert failed["kind"] == "reply" and failed["attempts"] == 3
        assert failed["status_code"] == 451 and "Greylisted" in failed["error"]

    # The operator retries once the server takes mail again (connectors built from the env).
    monkeypatch.setenv("DESKROUTE_SMTP_URL", smtp.url)
    monkeypatch.setenv("DESKROUTE_EMAIL_FROM", fm.FROM)
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["deliveries", "list", "--json",
                                            "--database-url", sqlite_url]).stdout)
    assert [r["id"] for r in listed] == [tid] and listed[0]["source"] == "email"
    out = runner.invoke(app, ["deliveries", "retry", str(tid), "--json",
                              "--database-url", sqlite_url])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["state"] == "delivered"
    [sent] = smtp.messages
    assert sent.msg["In-Reply-To"] == "<retry-1@customer.example>"
    assert sent.msg["Subject"] == "Re: Payment" and "PayPal" in sent.text
    again = runner.invoke(app, ["deliveries", "retry", str(tid), "--database-url", sqlite_url])
    assert again.exit_code == 2 and "not failed" in again.output  # delivered: nothing re-sent
    assert len(smtp.messages) == 1


def test_a_refused_recipient_is_handed_to_the_team_instead(smtp: fm.FakeSMTP,
                                                           sqlite_url: str) -> None:
    settings = EmailSettings(smtp_url=smtp.url, email_from=fm.FROM,
                             email_escalate_to=fm.ESCALATE_TO, email_timeout_seconds=5)
    services = Services(database_url=sqlite_url, connectors=Registry({"email": settings}))
    tid = _drafted(sqlite_url, settings)
    smtp.fail_next("RCPT", "550 5.1.1 User unknown")
    execute("deliver", tid, services=services, url=sqlite_url)
    while _run_due(sqlite_url, services):
        pass
    [forward] = smtp.messages
    assert forward.rcpt_tos == [fm.ESCALATE_TO]
    assert "550" in forward.text and "User unknown" in forward.text  # the reason is kept
    with unit_of_work(sqlite_url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == "escalated"
