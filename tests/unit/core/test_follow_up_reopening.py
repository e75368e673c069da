"""A customer writing again on a conversation the report counts as resolved: the pipeline's
decide step records ``reopened`` on the earlier ticket, once, on SQLite and PostgreSQL — also
when the helpdesk reports the reopening itself (Zendesk's status change, either order)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from router.domain import Decision, InboundTicket, OutcomeKind, Route, TicketState
from router.outcomes import record_outcome, record_thread_outcome
from router.pipeline import steps
from router.pipeline.routing import Routed
from router.pipeline.services import Services
from router.pricing import PriceSettings
from router.reports import build_report
from router.reports.settings import ReportSettings
from router.settings import LLMSettings
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work

THREAD = "conv-1"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture(autouse=True)
def _route_to_human(monkeypatch: pytest.MonkeyPatch) -> None:
    """The routing itself is not under test here (no classifier load): every ticket goes to
    a person, after decide did its conversation bookkeeping."""
    decision = Decision(route=Route.HUMAN, intent="order_status", confidence=0.9,
                        reasons=("test",), policy_name="test", policy_hash="0",
                        classifier_version="test")
    monkeypatch.setattr(steps, "route_text", lambda *a, **k: Routed(decision, 1.0))


def store(url: str, external_id: str, body: str, source: str = "generic",
          requester: str | None = None) -> int:
    with unit_of_work(url) as s:
        row, _ = repo.insert_ticket(s, InboundTicket(source=source, external_id=external_id,
                                                     body=body, thread_id=THREAD,
                                                     requester=requester))
        return row.id


def answered(url: str, source: str = "generic", resolved: bool = True,
             requester: str | None = None) -> int:
    """The first ticket of the conversation, answered (delivered), and resolved if asked."""
    first = store(url, "t-1", "Where is my order?", source, requester)
    with unit_of_work(url) as s:
        ticket = repo.get_ticket(s, first)
        assert ticket is not None
        repo.set_state(s, ticket, TicketState.DELIVERED)
        if resolved:
            record_outcome(s, first, OutcomeKind.RESOLVED.value, source=source)
    return first


def decide(url: str, ticket_id: int) -> None:
    """The pipeline's decide step on a stored ticket (a redelivered task runs it again)."""
    with unit_of_work(url) as s:
        ticket = repo.get_ticket(s, ticket_id)
        assert ticket is not None
        ticket.state = TicketState.RECEIVED.value  # a rerun after a crash before the commit
        steps.decide(s, Services(database_url=url), ticket)


def kinds(url: str, ticket_id: int) -> list[str]:
    with unit_of_work(url) as s:
        return list(s.scalars(select(m.Outcome.kind).where(m.Outcome.ticket_id == ticket_id)
                              .order_by(m.Outcome.id)))


def report(url: str) -> dict[str, Any]:
    with unit_of_work(url) as s:
        return build_report(s, settings=ReportSettings(), llm=LLMSettings(),
                            prices=PriceSettings())


def test_follow_up_on_a_resolved_conversation_reopens_it_once(url: str) -> None:
    first = answered(url)
    assert report(url)["reopened"] == 0 and report(url)["resolved_confirmed"] == 1
    follow = store(url, "t-2", "It still has not arrived, can you check again?")
    decide(url, follow)
    decide(url, follow)  # processed twice (a redelivered task): counted once
    assert kinds(url, first) == ["resolved", "reopened"]
    assert kinds(url, follow) == []
    r = report(url)
    assert (r["reopened"], r["resolved_confirmed"]) == (1, 0)


def test_a_rerun_of_the_same_follow_up_never_reopens_twice(url: str) -> None:
    """Resolved again meanwhile (an agent closed it), then the follow-up's task is run once
    more: still the one reopening of that follow-up (its event id)."""
    first = answered(url)
    follow = store(url, "t-2", "It still has not arrived.")
    decide(url, follow)
    with unit_of_work(url) as s:
        record_outcome(s, first, OutcomeKind.RESOLVED.value, source="generic")
    decide(url, follow)
    assert kinds(url, first) == ["resolved", "reopened", "resolved"]
    assert report(url)["resolved_confirmed"] == 1


def test_follow_up_on_a_conversation_not_resolved_records_nothing(url: str) -> None:
    first = answered(url, resolved=False)
    follow = store(url, "t-2", "It still has not arrived, can you check again?")
    decide(url, follow)
    assert kinds(url, first) == [] and kinds(url, follow) == []
    assert report(url)["reopened"] == 0


def test_a_second_follow_up_after_a_new_resolution_reopens_again(url: str) -> None:
    first = answered(url)
    second = store(url, "t-2", "It still has not arrived.")
    decide(url, second)
    with unit_of_work(url) as s:
        record_outcome(s, second, OutcomeKind.RESOLVED.value, source="generic")
    third = store(url, "t-3", "Wrong item in the parcel.")
    decide(url, third)
    assert kinds(url, first) == ["resolved", "reopened"]
    assert kinds(url, second) == ["resolved", "reopened"]


def zendesk_reopens(url: str, event_id: str) -> str | None:
    """Zendesk's ``ticket.status_changed`` solved → open, as its connector hands it over (the
    old status is known, so not ``status_only``); returns the skip reason, if any."""
    with unit_of_work(url) as s:
        done = record_thread_outcome(s, "zendesk", THREAD, OutcomeKind.REOPENED, event_id)
        return done.skipped


@pytest.mark.parametrize("order", ["event-first", "stored-then-event", "decided-then-event"])
def test_zendesk_follow_up_and_its_reopen_event_count_once(url: str, order: str) -> None:
    """A customer's comment on a solved Zendesk ticket brings both a follow-up and a status
    change, in any order relative to the follow-up's processing: one reopening."""
    first = answered(url, source="zendesk")
    if order == "event-first":
        assert zendesk_reopens(url, "ev-1") is None
    follow = store(url, "t-2", "It still has not arrived.", source="zendesk")
    if order == "stored-then-event":  # the event lands on the newest ticket, not resolved
        assert zendesk_reopens(url, "ev-1") == "not resolved before: not a reopening"
    decide(url, follow)
    if order == "decided-then-event":
        assert zendesk_reopens(url, "ev-1") == "not resolved before: not a reopening"
    assert kinds(url, first) == ["resolved", "reopened"] and kinds(url, follow) == []
    assert report(url)["reopened"] == 1


@pytest.mark.parametrize("sender,counted", [
    ("Ann Smith <ANN@customer.example>", True),  # the customer, another display name and case
    ("bob@customer.example", False),  # a colleague in Cc, or an agent from an unlisted address
])
def test_an_email_follow_up_counts_only_from_the_customer(url: str, sender: str,
                                                          counted: bool) -> None:
    """Mail from someone else in the thread is escalated (router.conversation.foreign_sender)
    and records no outcome: neither ``reopened`` nor ``not_helpful`` is theirs to give."""
    first = answered(url, source="email", requester="ann@customer.example")
    with unit_of_work(url) as s:  # the first answer was the local model's
        repo.add_decision(s, first, Decision(
            route=Route.SLM, intent="order_status", confidence=0.9, reasons=(),
            policy_name="test", policy_hash="0", classifier_version="test"), 1.0)
    follow = store(url, "t-2", "That did not help, it still does not work.", "email", sender)
    decide(url, follow)
    assert kinds(url, first) == (["resolved", "reopened", "not_helpful"] if counted
                                 else ["resolved"])
