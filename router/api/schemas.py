"""Typed bodies of the intake and ops endpoints, and the checks every stored text passes.

The OpenAPI schema these make is what Schemathesis tests the running API against: every
documented status and body must be what the API answers, and nothing any caller sends may
produce a 5xx. (The ticket and knowledge-base bodies are in ``ticket_schemas``.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from connectors.base import PayloadError
from connectors.payload import check_text

MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns on PostgreSQL

# Every integer id or offset a request carries, in a path, a query or a form (JSON API and
# dashboard alike): out of range is a 422 naming the parameter, never an overflow in the
# store (SQLite's driver and PostgreSQL's INTEGER both refused 20 digits: a 500).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
RowOffset = Annotated[int, Field(ge=0, le=MAX_ID)]


def _storable(value: str) -> str:
    """Text the store can hold on SQLite and PostgreSQL alike (no NUL, no lone surrogate)."""
    try:
        return check_text(value, "value")
    except PayloadError as exc:
        raise ValueError(exc.message) from exc


StoredText = Annotated[str, AfterValidator(_storable)]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Stored times are UTC; SQLite hands them back without a zone, PostgreSQL with one. Answers
# carry the zone on both (RFC 3339 `date-time`, as the schema says).
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` inlined (OpenAPI resolves refs from the root),
    for request bodies declared by hand (a webhook reads its raw body to check a signature)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return dict(walk(schema))


class ErrorOut(BaseModel):
    detail: str


class FieldError(BaseModel):
    field: str = Field(description="the payload field at fault, e.g. `body` or `metadata.a`")
    message: str


class PayloadErrorOut(BaseModel):
    detail: FieldError


class WebhookAccepted(BaseModel):
    ticket_id: int
    duplicate: bool = Field(description="this ticket (or this webhook-id) was received before")
    state: str
    kind: str = Field(description="`ticket`, `follow_up` or `agent_reply` (an agent's own "
                      "reply, compared with deskroute's draft)")
    thread_id: str | None


class WebhookIgnored(BaseModel):
    ignored: bool = True
    reason: str
    event: str | None


class BreakerOut(BaseModel):
    """One model circuit breaker (router/backends/breaker.py)."""

    state: str = Field(description="`closed` (calls go through), `open` (calls fail fast "
                                   "until the cool-down ends) or `half_open` (one probe)")
    failures: int = Field(description="consecutive failures or timeouts")
    opened_for_seconds: float | None = Field(default=None,
                                             description="how long it has been open")
    last_error: str | None = None


class Health(BaseModel):
    status: str = Field(description="`ok`: the process answers (liveness; no store access)")
    breakers: dict[str, BreakerOut] = Field(
        default_factory=dict, description="model circuit breakers of this process, by name")


class Ready(BaseModel):
    status: str = Field(description="`ready`, or `unavailable` (answered 503)")
    checks: dict[str, str] = Field(description="`database` and `broker`: `ok`, "
                                               "`not configured` or `error: …`")
