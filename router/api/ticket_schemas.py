"""Typed request and response bodies of the ticket, outcome and knowledge-base endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from router.api.schemas import StoredText, UtcDateTime
from router.domain import CSAT_SCALE, OutcomeKind


class OutcomeIn(BaseModel):
    kind: OutcomeKind = Field(description="What happened (docs/METRICS.md defines each kind).")
    value: float | None = Field(
        default=None, allow_inf_nan=False,
        description=f"csat: {CSAT_SCALE[0]} (very unsatisfied) to {CSAT_SCALE[1]} (very "
        "satisfied), required; agent_edit: share of the reply changed, 0..1, optional; "
        "other kinds take none.")
    note: StoredText | None = Field(default=None, max_length=5000)
    event_id: StoredText | None = Field(
        default=None, max_length=255,
        description="Your own id for this event: sending it again records nothing new.")
    text: StoredText | None = Field(
        default=None, max_length=100_000,
        description="agent_reply: the reply the agent sent to the customer, required; "
        "deskroute compares it with its draft (sent as-is, edited, rewritten or ignored).")


class OutcomeOut(BaseModel):
    id: int
    ticket_id: int
    kind: str
    value: float | None
    note: str | None
    source: str
    created_at: UtcDateTime


class DecisionOut(BaseModel):
    route: str
    intent: str
    confidence: float
    runner_up: str | None
    reasons: list[str]
    signals: list[dict[str, Any]]
    policy: dict[str, str]
    classifier: str
    latency_ms: float
    mode: str = Field(default="auto", description="Rollout mode in force: shadow (nothing "
                      "sent), assist (draft offered to the agents) or auto (replied).")


class KBRef(BaseModel):
    id: int
    kb: str
    question: str
    answer: str
    intent: str | None
    retired: bool


class DraftOut(BaseModel):
    id: int
    backend: str
    model: str
    text: str
    accepted: bool | None
    verifier: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    cost_usd: float
    kb_entry_ids: list[int] = Field(
        default_factory=list, description="Approved answers this draft was built on.")
    purpose: str = Field(default="answer", description="`answer`, or `compare`: the shadow "
                         "comparison's hosted draft (never sent, judged against the agent's "
                         "reply)")
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: UtcDateTime


class DeliveryOut(BaseModel):
    kind: str
    connector: str
    ok: bool
    status_code: int | None
    error: str | None
    created_at: UtcDateTime


class TicketOut(BaseModel):
    id: int
    source: str
    external_id: str
    channel: str
    state: str
    reason: str | None
    requester: str | None
    thread_id: str | None
    subject: str
    body: str
    created_at: UtcDateTime
    decision: DecisionOut | None
    draft: DraftOut | None = Field(description="The latest draft (all of them in drafts).")
    drafts: list[DraftOut]
    deliveries: list[DeliveryOut]
    outcomes: list[OutcomeOut]
    answered_from: list[KBRef] = Field(
        description="Approved answers the delivered (or latest accepted) reply was built on.")
    resolution: Literal["confirmed", "assumed", "negative", "open", "escalated", "pending"]


class TicketSummary(BaseModel):
    id: int
    source: str
    external_id: str
    channel: str
    state: str
    route: str | None
    intent: str | None
    confidence: float | None
    subject: str
    snippet: str
    reason: str | None
    created_at: UtcDateTime


class TicketPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[TicketSummary]


class KBEntryOut(BaseModel):
    id: int
    kb: str
    source: str
    ref: str
    title: str
    question: str
    answer: str
    intent: str | None
    category: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime | None
    retired_at: UtcDateTime | None


class KBPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[KBEntryOut]


class KBEntryPatch(BaseModel):
    """Fields to change; the others stay as they are."""

    model_config = {"extra": "forbid"}
    title: StoredText | None = Field(default=None, max_length=500)
    question: StoredText | None = Field(default=None, max_length=5000)
    answer: StoredText | None = Field(default=None, min_length=1, max_length=20000)
    intent: StoredText | None = Field(default=None, max_length=128)
