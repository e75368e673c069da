"""Tickets for people and tools: the filtered list, the drill-down, recording outcomes."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session

from router.api.deps import ADMIN_RESPONSES, get_session, invalid, require_admin
from router.api.schemas import ErrorOut, RowId, RowOffset, StoredText
from router.api.ticket_schemas import (
    DecisionOut,
    DeliveryOut,
    DraftOut,
    KBRef,
    OutcomeIn,
    OutcomeOut,
    TicketOut,
    TicketPage,
    TicketSummary,
)
from router.domain import OutcomeKind
from router.outcomes import OutcomeError, record_agent_reply, record_outcome
from router.reports.settings import ReportSettings
from router.store import models as m
from router.store import repo
from router.store import ticket_queries as tq

router = APIRouter(dependencies=[Depends(require_admin)], tags=["tickets"],
                   responses=ADMIN_RESPONSES)
_404: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such ticket"}}


def _draft(d: m.DraftRow) -> DraftOut:
    ids = d.meta.get("kb_entry_ids") if isinstance(d.meta, dict) else None
    return DraftOut(id=d.id, backend=d.backend, model=d.model, text=d.text, accepted=d.accepted,
                    verifier=d.verifier or {}, prompt_tokens=d.prompt_tokens,
                    completion_tokens=d.completion_tokens, latency_ms=d.latency_ms,
                    cost_usd=d.cost_usd, kb_entry_ids=[int(i) for i in ids or []],
                    meta=d.meta or {}, created_at=d.created_at, purpose=d.purpose)


def _outcome(o: m.Outcome) -> OutcomeOut:
    return OutcomeOut(id=o.id, ticket_id=o.ticket_id, kind=o.kind, value=o.value, note=o.note,
                      source=o.source, created_at=o.created_at)


def ticket_view(session: Session, ticket_id: int, reports: ReportSettings) -> TicketOut:
    """Everything about one ticket: decision, reasons, signals, drafts with the verifier's
    verdict and the approved answers used, deliveries, outcomes and how the report counts it."""
    from router.reports.ticket import ticket_resolution

    t = repo.get_ticket(session, ticket_id)
    if t is None:
        raise HTTPException(status_code=404, detail=f"ticket {ticket_id} not found")
    d = repo.latest_decision(session, t.id)
    drafts = [_draft(x) for x in tq.drafts_of(session, t.id)]
    accepted = [x for x in drafts if x.accepted]
    answers = [x for x in drafts if x.purpose == "answer"]  # not the shadow comparison's
    used = accepted[-1].kb_entry_ids if accepted else []
    return TicketOut(
        id=t.id, source=t.source, external_id=t.external_id, channel=t.channel, state=t.state,
        reason=t.reason, requester=t.requester, thread_id=t.thread_id, subject=t.subject,
        body=t.body, created_at=t.created_at,
        decision=None if d is None else DecisionOut(
            route=d.route, intent=d.intent, confidence=d.confidence, runner_up=d.runner_up,
            reasons=[str(r) for r in d.reasons], signals=list(d.signals),
            policy={"name": d.policy_name, "hash": d.policy_hash},
            classifier=d.classifier_version, latency_ms=d.latency_ms, mode=d.mode),
        draft=answers[-1] if answers else None, drafts=drafts,
        deliveries=[DeliveryOut(kind=x.kind, connector=x.connector, ok=x.ok,
                                status_code=x.status_code, error=x.error,
                                created_at=x.created_at)
                    for x in tq.deliveries_of(session, t.id)],
        outcomes=[_outcome(o) for o in tq.outcomes_of(session, t.id)],
        answered_from=[KBRef(id=e.id, kb=e.kb, question=e.question, answer=e.answer,
                             intent=e.intent, retired=e.retired_at is not None)
                       for e in tq.kb_entries(session, used)],
        resolution=ticket_resolution(session, t.id, reports),  # type: ignore[arg-type]
    )


def ticket_filter(state: str | None, route: str | None, intent: str | None,
                  channel: str | None, q: str | None, since: str | None,
                  until: str | None) -> tq.TicketFilter:
    from router.reports.window import parse_when

    try:
        start = parse_when(since, "since")
    except ValueError as exc:
        raise invalid(("query", "since"), str(exc)) from exc
    try:
        end = parse_when(until, "until")
    except ValueError as exc:
        raise invalid(("query", "until"), str(exc)) from exc
    return tq.TicketFilter(
        state=state or None, route=route or None, intent=intent or None,
        channel=channel or None, q=(q or "").strip() or None,
        since=start.astimezone(UTC) if start else None,
        until=end.astimezone(UTC) if end else None)


def summary(r: tq.TicketRow) -> TicketSummary:
    text = " ".join(r.body.split())
    return TicketSummary(id=r.id, source=r.source, external_id=r.external_id,
                         channel=r.channel, state=r.state, route=r.route, intent=r.intent,
                         confidence=r.confidence, subject=r.subject,
                         snippet=text[:160] + ("…" if len(text) > 160 else ""),
                         reason=r.reason, created_at=r.created_at)


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    session: Annotated[Session, Depends(get_session)],
    state: Annotated[str | None, Query(max_length=16, description="received, decided, "
                                       "drafted, delivered, escalated, failed, shadowed, "
                                       "assisted")] = None,
    route: Annotated[str | None, Query(max_length=16, description="slm, llm or human")] = None,
    intent: Annotated[StoredText | None, Query(max_length=128)] = None,
    channel: Annotated[StoredText | None, Query(max_length=32)] = None,
    q: Annotated[StoredText | None, Query(max_length=200, description="Words to find in the "
                                          "subject, body, external id or requester.")] = None,
    since: Annotated[str | None, Query(max_length=40, description="7d, 24h or ISO")] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: RowOffset = 0,
) -> TicketPage:
    """Tickets newest first, filtered; ``total`` counts every match, ``items`` is one page."""
    flt = ticket_filter(state, route, intent, channel, q, since, until)
    total, rows = tq.list_tickets(session, flt, limit=limit, offset=offset)
    return TicketPage(total=total, limit=limit, offset=offset, items=[summary(r) for r in rows])


@router.get("/tickets/{ticket_id}", response_model=TicketOut, responses=_404)
def get_ticket(ticket_id: RowId, request: Request,
               session: Annotated[Session, Depends(get_session)]) -> TicketOut:
    return ticket_view(session, ticket_id, request.app.state.settings.reports)


@router.post("/tickets/{ticket_id}/outcomes", status_code=201, response_model=OutcomeOut,
             responses=_404)
def add_outcome(ticket_id: RowId, outcome: OutcomeIn, request: Request,
                session: Annotated[Session, Depends(get_session)]) -> OutcomeOut:
    """Record what happened after the answer: resolved, reopened, not_helpful, agent_edit,
    agent_override, human_escalation, csat (value 1-5), or agent_reply (``text``: what the
    agent sent, compared with deskroute's draft in shadow and assist mode)."""
    if repo.get_ticket(session, ticket_id) is None:
        raise HTTPException(status_code=404, detail=f"ticket {ticket_id} not found")
    agent_reply = outcome.kind is OutcomeKind.AGENT_REPLY
    try:
        if agent_reply:
            if outcome.value is not None:
                raise OutcomeError(f"agent_reply takes no value (got {outcome.value})")
            row = record_agent_reply(session, ticket_id, outcome.text or "", source="api",
                                     event_id=outcome.event_id)
        else:
            row = record_outcome(session, ticket_id, outcome.kind.value, outcome.value,
                                 outcome.note, source="api", event_id=outcome.event_id)
    except OutcomeError as exc:  # unknown kind, a value off its scale, a reply without text
        raise invalid(("body", "text" if agent_reply else "value"), str(exc)) from exc
    session.commit()
    if agent_reply:
        request.app.state.kick()  # the comparison runs in a worker
    return _outcome(row)
