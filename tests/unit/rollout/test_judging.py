"""Agent replies judged against stored drafts: which tickets, which drafts, once each."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from router.domain import Decision, Draft, InboundTicket, Mode, Route, TicketState, Verdict
from router.outcomes import OutcomeError, record_agent_reply
from router.pipeline.services import Services
from router.rollout.judging import judge_pending, judge_ticket, lazy_embed
from router.rollout.settings import FeedbackSettings
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work
from router.worker.runner import execute

DRAFT = "Yes, we accept PayPal, Visa and Mastercard at checkout."


def _ticket(url: str, ext: str, state: TicketState, mode: Mode = Mode.ASSIST,
            compare: str | None = None) -> int:
    with unit_of_work(url) as s:
        t, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id=ext,
                                                   body="Do you accept PayPal?"))
        repo.add_decision(s, t.id, Decision(
            route=Route.SLM, intent="payment_methods", confidence=0.9, reasons=("r",),
            policy_name="p", policy_hash="h", classifier_version="c", mode=mode), 1.0)
        repo.add_draft(s, t.id, Draft(backend="template", model="kb", text=DRAFT),
                       Verdict(score=1.0))
        if compare is not None:
            repo.add_draft(s, t.id, Draft(backend="llm", model="openai/big", text=compare),
                           Verdict(score=1.0), purpose="compare")
        repo.set_state(s, t, state)
        for row in s.scalars(select(m.OutboxRow)):
            row.status = "done"
        return t.id


def _feedback(url: str) -> list[tuple[int, str, str, str]]:
    with unit_of_work(url) as s:
        return [(f.ticket_id, f.kind, f.purpose, f.model) for f in
                s.scalars(select(m.DraftFeedback).order_by(m.DraftFeedback.id))]


def test_assisted_ticket_judges_the_offered_and_the_comparison_draft(sqlite_url: str) -> None:
    tid = _ticket(sqlite_url, "a", TicketState.ASSISTED,
                  compare="We take PayPal, Visa and Mastercard when you check out.")
    with unit_of_work(sqlite_url) as s:
        record_agent_reply(s, tid, "Hello,\n" + DRAFT + "\nThanks,\nAgnes", event_id="e1")
        record_agent_reply(s, tid, "A second reply does not count", event_id="e2")
    execute("feedback", tid, url=sqlite_url, services=Services(database_url=sqlite_url))
    got = _feedback(sqlite_url)
    assert got[0] == (tid, "sent_as_is", "answer", "kb")
    assert got[1][0] == tid and got[1][2:] == ("compare", "openai/big")
    assert got[1][1] in {"edited", "rewritten"}  # same answer, other words
    execute("feedback", tid, url=sqlite_url)  # once per draft
    assert len(_feedback(sqlite_url)) == 2


def test_a_ticket_the_customer_got_a_reply_on_is_not_judged(sqlite_url: str) -> None:
    tid = _ticket(sqlite_url, "d", TicketState.DELIVERED, mode=Mode.AUTO)
    with unit_of_work(sqlite_url) as s:
        record_agent_reply(s, tid, DRAFT, event_id="e1")
        t = repo.get_ticket(s, tid)
        assert t is not None and judge_ticket(s, t, lazy_embed(), FeedbackSettings()) == []
    assert _feedback(sqlite_url) == []


def test_a_redelivered_reply_is_stored_once_and_a_reply_needs_text(sqlite_url: str) -> None:
    tid = _ticket(sqlite_url, "r", TicketState.SHADOWED, mode=Mode.SHADOW)
    with unit_of_work(sqlite_url) as s:
        first = record_agent_reply(s, tid, DRAFT, source="zendesk", event_id="9:1")
        again = record_agent_reply(s, tid, DRAFT, source="zendesk", event_id="9:1")
        assert first.id == again.id
        with pytest.raises(OutcomeError, match="text"):
            record_agent_reply(s, tid, "   ")
        with pytest.raises(OutcomeError, match="not found"):
            record_agent_reply(s, 10_000, DRAFT)
        feedback_tasks = s.scalars(select(m.OutboxRow).where(m.OutboxRow.task == "feedback"))
        assert len(list(feedback_tasks)) == 1


def test_judge_pending_catches_replies_whose_task_never_ran(sqlite_url: str) -> None:
    late = _ticket(sqlite_url, "late", TicketState.DRAFTED)  # reply came before the draft
    with unit_of_work(sqlite_url) as s:
        record_agent_reply(s, late, DRAFT.upper(), event_id="x")
    execute("feedback", late, url=sqlite_url)
    assert _feedback(sqlite_url) == []
    with unit_of_work(sqlite_url) as s:
        t = repo.get_ticket(s, late)
        assert t is not None
        repo.set_state(s, t, TicketState.ASSISTED)
    with unit_of_work(sqlite_url) as s:
        assert judge_pending(s, lazy_embed(), FeedbackSettings()) == 1
        assert judge_pending(s, lazy_embed(), FeedbackSettings()) == 0
    assert _feedback(sqlite_url) == [(late, "sent_as_is", "answer", "kb")]


def test_a_failing_judgement_leaves_the_finished_ticket_alone(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tid = _ticket(sqlite_url, "f", TicketState.ASSISTED)
    with unit_of_work(sqlite_url) as s:
        record_agent_reply(s, tid, "Something else entirely", event_id="e")
        outbox = s.scalar(select(m.OutboxRow.id).where(m.OutboxRow.task == "feedback"))

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr("router.rollout.judging.judge", broken)
    assert execute("feedback", tid, outbox, url=sqlite_url) is None
    with unit_of_work(sqlite_url) as s:
        t = repo.get_ticket(s, tid)
        assert t is not None and t.state == "assisted" and t.reason is None
        assert s.get(m.OutboxRow, outbox).status == "done"  # type: ignore[union-attr]
        assert list(s.scalars(select(m.OutboxRow).where(m.OutboxRow.task == "deliver"))) == []
