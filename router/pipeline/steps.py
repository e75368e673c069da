"""The pipeline's steps. Each takes a locked ticket row and returns the next task, if any.

Steps are idempotent: a step whose work is already done (a redelivered message, a relay that
re-enqueued a slow task) changes nothing. Any failure ends in ``escalated`` with a reason.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from policies.engine import after_rejected_draft
from router.backends.base import BackendError
from router.conversation import context_for, record_not_helped
from router.domain import OutgoingReply, Route, TicketState
from router.pipeline.answering import answer_hosted, answer_local
from router.pipeline.routing import route_text
from router.pipeline.services import Services
from router.store import models as m
from router.store import repo

MAX_DELIVERY_ATTEMPTS = 5


class RetryLater(Exception):
    """A transient failure: the runner puts the outbox row back with a delay."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


def _escalate(session: Session, ticket: m.Ticket, reason: str) -> str:
    ticket.reason = reason
    session.flush()
    return "deliver"


def decide(session: Session, services: Services, ticket: m.Ticket) -> str | None:
    if ticket.state != TicketState.RECEIVED.value:
        return None
    text = f"{ticket.subject}\n{ticket.body}".strip()
    context = context_for(session, ticket)
    record_not_helped(session, ticket, context)
    routed = route_text(services, text, context)
    d = routed.decision
    repo.add_decision(session, ticket.id, d, routed.latency_ms)
    repo.set_state(session, ticket, TicketState.DECIDED)
    if d.route is Route.HUMAN:
        return _escalate(session, ticket, "; ".join(d.reasons))
    return d.route.value


def _has_draft(ticket: m.Ticket, backend: str) -> bool:
    return any(d.backend == backend for d in ticket.drafts)


def generate_local(session: Session, services: Services, ticket: m.Ticket) -> str | None:
    if ticket.state != TicketState.DECIDED.value or ticket.reason or _has_draft(ticket, "slm") \
            or _has_draft(ticket, "template"):
        return None
    decision = repo.latest_decision(session, ticket.id)
    intent = decision.intent if decision else None
    text = f"{ticket.subject}\n{ticket.body}".strip()
    try:
        ans = answer_local(services, text, intent)
    except BackendError as exc:
        return _next_after_local_failure(session, services, ticket, str(exc))
    repo.add_draft(session, ticket.id, ans.draft, ans.verdict)
    if ans.verdict.accepted:
        repo.set_state(session, ticket, TicketState.DRAFTED)
        return "deliver"
    why = "verifier rejected the local draft: " + "; ".join(ans.verdict.reasons)
    return _next_after_local_failure(session, services, ticket, why)


def _next_after_local_failure(
    session: Session, services: Services, ticket: m.Ticket, why: str
) -> str:
    target = after_rejected_draft(services.policy, services.llm_available)
    if target is Route.LLM:
        ticket.meta = {**(ticket.meta or {}), "local_rejected": why}
        session.flush()
        return "llm"
    return _escalate(session, ticket, why)


def generate_hosted(session: Session, services: Services, ticket: m.Ticket) -> str | None:
    if ticket.state != TicketState.DECIDED.value or ticket.reason or _has_draft(ticket, "llm"):
        return None
    decision = repo.latest_decision(session, ticket.id)
    text = f"{ticket.subject}\n{ticket.body}".strip()
    try:
        ans = answer_hosted(services, text, decision.intent if decision else None)
    except BackendError as exc:
        return _escalate(session, ticket, str(exc))
    repo.add_draft(session, ticket.id, ans.draft, ans.verdict)
    if not ans.verdict.accepted:
        return _escalate(
            session, ticket, "verifier rejected the hosted draft: " + "; ".join(ans.verdict.reasons)
        )
    repo.set_state(session, ticket, TicketState.DRAFTED)
    return "deliver"


def internal_note(session: Session, ticket: m.Ticket) -> str:
    """What a human agent sees: why it was escalated, the intent, and any draft to reuse."""
    decision = repo.latest_decision(session, ticket.id)
    lines = [f"Escalated by deskroute: {ticket.reason}"]
    if decision is not None:
        lines.append(f"Intent: {decision.intent} (confidence {decision.confidence:.2f})")
    draft = repo.latest_draft(session, ticket.id)
    if draft is not None and draft.text:
        lines.append(f"Suggested draft ({draft.backend}, not sent): {draft.text}")
    return "\n".join(lines)


def deliver(session: Session, services: Services, ticket: m.Ticket) -> str | None:
    if ticket.state in {s.value for s in (TicketState.DELIVERED, TicketState.ESCALATED)}:
        return None
    connector = services.connectors.get(ticket.source)
    escalation = bool(ticket.reason)
    if escalation:
        text, kind = internal_note(session, ticket), "escalation"
    else:
        draft = repo.latest_draft(session, ticket.id)
        if draft is None or not draft.accepted:
            return _escalate(session, ticket, "no accepted draft to deliver")
        text, kind = draft.text, "reply"
    out = OutgoingReply(ticket_id=ticket.id, external_id=ticket.external_id, text=text,
                        kind=kind, reason=ticket.reason or "", thread_id=ticket.thread_id,
                        metadata=dict(ticket.meta or {}))
    result = connector.escalate(out) if escalation else connector.reply(out)
    repo.add_delivery(session, ticket.id, kind=kind, connector=connector.name, ok=result.ok,
                      status_code=result.status_code, error=result.error)
    if result.ok:
        repo.set_state(session, ticket, TicketState.ESCALATED if escalation
                       else TicketState.DELIVERED)
        return None
    attempts = sum(1 for a in _attempts(session, ticket.id) if a.kind == kind)
    if result.retryable and attempts < MAX_DELIVERY_ATTEMPTS:
        raise RetryLater(min(2 ** attempts, 60), result.error or "delivery failed")
    if not escalation:
        return _escalate(session, ticket, f"reply delivery failed: {result.error}")
    repo.set_state(session, ticket, TicketState.ESCALATED,
                   reason=f"{ticket.reason}; escalation delivery failed: {result.error}")
    return None


def _attempts(session: Session, ticket_id: int) -> list[m.DeliveryAttempt]:
    from sqlalchemy import select

    return list(session.scalars(
        select(m.DeliveryAttempt).where(m.DeliveryAttempt.ticket_id == ticket_id)
    ))


STEPS = {"decide": decide, "slm": generate_local, "llm": generate_hosted, "deliver": deliver}
TASKS = tuple(STEPS)
