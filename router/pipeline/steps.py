"""The pipeline's steps. Each takes a locked ticket row and returns a typed result: the next
task (:class:`~router.pipeline.workflow.Next`), an escalation with its reason
(:class:`~router.pipeline.workflow.Escalate`) or None; the runner records it with
:func:`router.pipeline.workflow.apply`.

Steps are idempotent: the runner calls a step only in the state it acts on
(``workflow.ACTS_ON``), and a step whose work is already done changes nothing. Any failure
ends in ``escalating`` → ``escalated`` with a reason (or ``failed`` for a delivery).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from connectors.http import backoff_delay
from policies.engine import after_rejected_draft
from router.answering.human import HumanNote, summarize
from router.backends.base import BackendError
from router.breakers import time_budget
from router.conversation import context_for, record_not_helped, record_reopened
from router.domain import Mode, OutgoingReply, Route, TicketState
from router.pipeline.delivery import InDoubt, send_recorded
from router.pipeline.routing import route_text
from router.pipeline.services import Services
from router.pipeline.workflow import Escalate, Next, StepResult, Task, apply
from router.rollout import compare
from router.rollout.assist import DONE_STATE, mode_in_force, suggestion
from router.rollout.judging import feedback_step
from router.store import models as m
from router.store import outbox, repo


def decide(session: Session, services: Services, ticket: m.Ticket) -> StepResult:
    if ticket.state != TicketState.RECEIVED.value:
        return None
    text = f"{ticket.subject}\n{ticket.body}".strip()
    prev = repo.previous_in_thread(session, ticket)
    context = context_for(session, ticket, prev)
    record_reopened(session, ticket, prev, context)  # before not_helpful (it unresolves)
    record_not_helped(session, ticket, prev, context)
    routed = route_text(services, text, context, channel=ticket.channel)
    d = routed.decision
    repo.add_decision(session, ticket.id, d, routed.latency_ms)
    repo.set_state(session, ticket, TicketState.DECIDED)
    if d.route is Route.HUMAN:  # a risk signal's escalation goes out ahead of model work
        return Escalate("; ".join(d.reasons),
                        urgent=any(r.startswith("signal ") for r in d.reasons))
    return Next(Task(d.route.value))


@contextmanager
def _model_time(services: Services, ticket: m.Ticket) -> Iterator[None]:
    """Model calls inside get what is left of the ticket's budget
    (DESKROUTE_TICKET_BUDGET_SECONDS, local and hosted together); the time spent is kept in
    the ticket's meta (``model_seconds``) for the next leg."""
    budget = services.budget.ticket_budget_seconds
    spent = float((ticket.meta or {}).get("model_seconds", 0.0))
    started = time.monotonic()
    try:
        with time_budget(budget - spent if budget > 0 else None):
            yield
    finally:
        used = round(spent + time.monotonic() - started, 3)
        ticket.meta = {**(ticket.meta or {}), "model_seconds": used}


def _has_draft(ticket: m.Ticket, backend: str) -> bool:
    return any(d.backend == backend and d.purpose == "answer" for d in ticket.drafts)


def generate_local(session: Session, services: Services, ticket: m.Ticket) -> StepResult:
    if ticket.state != TicketState.DECIDED.value or _has_draft(ticket, "slm") \
            or _has_draft(ticket, "template"):
        return None
    decision = repo.latest_decision(session, ticket.id)
    intent = decision.intent if decision else None
    text = f"{ticket.subject}\n{ticket.body}".strip()
    try:
        answerer = services.local_answerer()  # loading models is not the ticket's time
        with _model_time(services, ticket):
            ans = answerer.answer(text, intent)
    except BackendError as exc:
        return _next_after_local_failure(session, services, ticket, str(exc))
    repo.add_draft(session, ticket.id, ans.draft, ans.verdict)
    if ans.verdict.accepted:
        repo.set_state(session, ticket, TicketState.DRAFTED)
        if compare.wanted(services.policy.rollout.shadow_compare, decision, ticket.id,
                          services.llm_available):
            outbox.add_outbox(session, "compare", ticket.id)  # on the LLM queue, never waited on
        return Next(Task.DELIVER)
    why = "; ".join(ans.verdict.reasons)
    if ans.draft.text:  # a draft was written and refused (else: nothing covered the question)
        why = "verifier rejected the local draft: " + why
    return _next_after_local_failure(session, services, ticket, why)


def _next_after_local_failure(
    session: Session, services: Services, ticket: m.Ticket, why: str
) -> StepResult:
    target = after_rejected_draft(services.policy, services.llm_available)
    if target is Route.LLM:
        ticket.meta = {**(ticket.meta or {}), "local_rejected": why}
        session.flush()
        return Next(Task.LLM)
    return Escalate(why)


def generate_hosted(session: Session, services: Services, ticket: m.Ticket) -> StepResult:
    if ticket.state != TicketState.DECIDED.value or _has_draft(ticket, "llm"):
        return None
    decision = repo.latest_decision(session, ticket.id)
    text = f"{ticket.subject}\n{ticket.body}".strip()
    try:
        answerer = services.hosted_answerer()
        with _model_time(services, ticket):
            ans = answerer.answer(text, decision.intent if decision else None,
                                  requester=ticket.requester)
    except BackendError as exc:
        return Escalate(str(exc))
    repo.add_draft(session, ticket.id, ans.draft, ans.verdict)
    if not ans.verdict.accepted:
        return Escalate("verifier rejected the hosted draft: " + "; ".join(ans.verdict.reasons))
    repo.set_state(session, ticket, TicketState.DRAFTED)
    return Next(Task.DELIVER)


def internal_note(session: Session, ticket: m.Ticket) -> str:
    """What a human agent sees: why it was escalated (urgent first), a summary in the
    customer's words, the risk signals, the customer's details, the intent, and any draft to
    start from."""
    decision = repo.latest_decision(session, ticket.id)
    draft = repo.latest_draft(session, ticket.id)
    signals = [f"{s.get('name')} ({s.get('reason')})" for s in (decision.signals or [])
               ] if decision is not None else []
    return HumanNote().compose(
        ticket.reason or "", intent=decision.intent if decision else None,
        confidence=decision.confidence if decision else None,
        suggested=draft.text if draft is not None else None,
        suggested_by=draft.backend if draft is not None else None,
        summary=summarize(ticket.subject or "", ticket.body), signals=signals,
        customer={"requester": ticket.requester, "channel": ticket.channel,
                  "ticket": ticket.external_id, "conversation": ticket.thread_id,
                  "language": ticket.language},
        urgent=bool(((ticket.meta or {}).get("escalation") or {}).get("urgent")))


def deliver(session: Session, services: Services, ticket: m.Ticket) -> StepResult:
    """The reply (``drafted``): sent to the customer in ``auto`` mode, offered to the agents
    as a draft in ``assist``, kept in ``shadow``."""
    return _deliver(session, services, ticket, services.delivery.delivery_attempts)


def escalate(session: Session, services: Services, ticket: m.Ticket) -> StepResult:
    """The escalation note (``escalating``): the urgent lane, ahead of any model work."""
    return _deliver(session, services, ticket, services.delivery.delivery_attempts)


def _deliver(session: Session, services: Services, ticket: m.Ticket,
             max_attempts: int) -> StepResult:
    """Send the reply or the escalation note once; on a transient failure queue the next
    attempt after the vendor's Retry-After or a jittered back-off, in this step's own
    transaction (so attempts are counted); when attempts run out the ticket ends ``failed``,
    visible to ``deskroute deliveries list`` and re-sent by ``deskroute deliveries retry``."""
    escalation = ticket.state == TicketState.ESCALATING.value
    if not escalation and ticket.state != TicketState.DRAFTED.value:
        return None
    decision = repo.latest_decision(session, ticket.id)
    mode = mode_in_force(decision, services.policy.rollout.mode_for("", ticket.channel))
    if mode is Mode.SHADOW:  # decided and drafted, stored; nothing reaches the channel
        repo.set_state(session, ticket, TicketState.SHADOWED)
        return None
    connector = services.connectors.get(ticket.source)
    details: dict = {}
    if escalation:
        text, kind = internal_note(session, ticket), "escalation"
    else:
        draft = repo.latest_draft(session, ticket.id)
        if draft is None or not draft.accepted:
            return Escalate("no accepted draft to deliver")
        text, kind = draft.text, "reply"
        if mode is Mode.ASSIST:  # offered to the agents, not sent to the customer
            offer = suggestion(session, decision, draft)
            text, kind, details = offer.note, "draft", offer.details
    out = OutgoingReply(ticket_id=ticket.id, external_id=ticket.external_id, text=text,
                        kind=kind, reason=ticket.reason or "", thread_id=ticket.thread_id,
                        metadata=dict(ticket.meta or {}), details=details)
    since = int((ticket.meta or {}).get("delivery_retry_from", 0))
    result = send_recorded(session, ticket.id, connector, kind, since=since, call=lambda: (
        connector.escalate(out) if escalation else
        connector.suggest(out) if kind == "draft" else connector.reply(out)))
    attempts = len(repo.delivery_attempts(session, ticket.id, kind=kind, after_id=since))
    if isinstance(result, InDoubt):
        _failed(session, ticket, kind, attempts, result.error, None)
        return None
    if result.ok:
        repo.set_state(session, ticket, DONE_STATE[kind])
        return None
    if result.retryable and attempts < max_attempts:
        delay = result.retry_after if result.retry_after is not None else backoff_delay(
            attempts, services.delivery.delivery_backoff_seconds,
            services.delivery.delivery_backoff_max_seconds)
        return Next(Task.ESCALATE if escalation else Task.DELIVER, delay=delay)
    if result.retryable or escalation:
        # The vendor kept failing (or refused the escalation): an operator sees and retries it.
        _failed(session, ticket, kind, attempts, result.error, result.status_code)
        return None
    return Escalate(f"reply delivery failed: {result.error}")


def _failed(session: Session, ticket: m.Ticket, kind: str, attempts: int, error: str | None,
            status_code: int | None) -> None:
    ticket.meta = {**(ticket.meta or {}), "delivery_failed": {
        "kind": kind, "attempts": attempts, "error": error, "status_code": status_code}}
    repo.set_state(session, ticket, TicketState.FAILED)


REOPEN_SAFETY_SECONDS = 120.0


def reopen_failed_delivery(session: Session, ticket: m.Ticket) -> str:
    """Put a ``failed`` delivery back where it was, with a fresh attempt count.

    Returns the kind that failed (``reply``, ``draft`` or ``escalation``). The caller commits,
    then runs :func:`deliver_now` in a new transaction (the operator's ``deskroute deliveries
    retry``): the attempt is recorded before the call in a transaction of its own.
    """
    if ticket.state != TicketState.FAILED.value:
        raise ValueError(f"ticket {ticket.id} is {ticket.state}, not failed")
    meta = dict(ticket.meta or {})
    failed = meta.pop("delivery_failed", None) or {}
    kind = failed.get("kind") or ("escalation" if ticket.reason else "reply")
    last = repo.delivery_attempts(session, ticket.id)
    meta["delivery_retry_from"] = last[-1].id if last else 0
    ticket.meta = meta
    escalation = kind == "escalation"
    repo.set_state(session, ticket, TicketState.ESCALATING if escalation
                   else TicketState.DRAFTED)
    # a safety net, due after the operator's own attempt: should the command die before its
    # attempt, the workers deliver it (after a finished attempt it finds nothing to do)
    outbox.add_outbox(session, (Task.ESCALATE if escalation else Task.DELIVER).value,
                      ticket.id, delay=REOPEN_SAFETY_SECONDS)
    return str(kind)


def deliver_now(session: Session, services: Services, ticket: m.Ticket) -> str | None:
    """One delivery attempt, no background retries: what an operator's retry runs.

    A reply the vendor refuses outright turns into an escalation, queued for the workers
    like any other; the queued task is returned.
    """
    queued = apply(session, ticket, _deliver(session, services, ticket, max_attempts=1))
    return queued.value if queued else None


STEPS = {"decide": decide, "slm": generate_local, "llm": generate_hosted, "deliver": deliver,
         "escalate": escalate,
         "feedback": feedback_step,  # an agent's reply compared with the draft
         "compare": compare.compare_step}  # the shadow comparison's hosted draft
