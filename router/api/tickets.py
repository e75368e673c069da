"""Reading tickets and recording outcomes (resolved, reopened, CSAT, agent edit)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from router.api.deps import get_session, require_admin
from router.store import repo

router = APIRouter(dependencies=[Depends(require_admin)])


def ticket_view(session: Session, ticket_id: int) -> dict[str, Any]:
    t = repo.get_ticket(session, ticket_id)
    if t is None:
        raise HTTPException(status_code=404, detail=f"ticket {ticket_id} not found")
    d = repo.latest_decision(session, t.id)
    dr = repo.latest_draft(session, t.id)
    return {
        "id": t.id, "source": t.source, "external_id": t.external_id, "state": t.state,
        "reason": t.reason, "subject": t.subject, "body": t.body,
        "created_at": t.created_at.isoformat(),
        "decision": None if d is None else {
            "route": d.route, "intent": d.intent, "confidence": d.confidence,
            "runner_up": d.runner_up, "reasons": d.reasons, "signals": d.signals,
            "policy": {"name": d.policy_name, "hash": d.policy_hash},
            "classifier": d.classifier_version, "latency_ms": d.latency_ms,
        },
        "draft": None if dr is None else {
            "backend": dr.backend, "model": dr.model, "text": dr.text,
            "accepted": dr.accepted, "verifier": dr.verifier,
            "prompt_tokens": dr.prompt_tokens, "completion_tokens": dr.completion_tokens,
            "latency_ms": dr.latency_ms, "cost_usd": dr.cost_usd,
        },
        "outcomes": [
            {"kind": o.kind, "value": o.value, "note": o.note}
            for o in repo.outcomes_of(session, t.id)
        ],
    }


@router.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: int, session: Session = Depends(get_session)) -> dict[str, Any]:
    return ticket_view(session, ticket_id)


class OutcomeIn(BaseModel):
    kind: Literal["resolved", "reopened", "csat", "agent_edit"]
    value: float | None = Field(default=None, description="CSAT score, edit distance, ...")
    note: str | None = Field(default=None, max_length=5000)


@router.post("/tickets/{ticket_id}/outcomes", status_code=201)
def add_outcome(ticket_id: int, outcome: OutcomeIn,
                session: Session = Depends(get_session)) -> dict[str, Any]:
    if repo.get_ticket(session, ticket_id) is None:
        raise HTTPException(status_code=404, detail=f"ticket {ticket_id} not found")
    row = repo.add_outcome(session, ticket_id, outcome.kind, outcome.value, outcome.note)
    session.commit()
    return {"id": row.id, "ticket_id": ticket_id, "kind": row.kind}
