"""The generic JSON webhook channel: Standard Webhooks in, signed JSON callbacks out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors import signing
from connectors.base import (
    Connector,
    DeliveryResult,
    EscalationTarget,
    FollowUp,
    Inbound,
    NewTicket,
    PayloadError,
    SignatureError,
)
from connectors.http import result_of
from connectors.payload import load_json
from connectors.secrets import check_secret_value
from router.domain import InboundTicket, OutgoingReply


class GenericSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_", extra="ignore")
    webhook_secret: str | None = None
    replay_window_seconds: int = Field(default=300, ge=1, le=3600)
    callback_url: str | None = None
    callback_timeout: float = 10.0

    @field_validator("webhook_secret")
    @classmethod
    def _refuse_weak_secret(cls, value: str | None) -> str | None:
        return None if value is None else check_secret_value(value)


class Requester(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=255)


class GenericTicket(BaseModel):
    """The documented JSON ticket (see README: 'Generic webhook').

    Lengths here are the stored columns' (``router.intake`` checks every connector's ticket
    against the columns; these bounds only make the published schema say the same).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=1, max_length=255)
    body: str = Field(min_length=1, max_length=100_000)
    subject: str = Field(default="", max_length=100_000)
    requester: Requester | str | None = None
    channel: str = Field(default="generic", max_length=32)
    language: str | None = Field(default=None, max_length=16)
    thread_id: str | None = Field(default=None, max_length=255)
    metadata: dict[str, Any] = Field(default_factory=dict)


class GenericDraft(BaseModel):
    """What a ``ticket.draft`` callback says about the draft (``router.rollout.assist``)."""

    model_config = ConfigDict(extra="allow")
    draft_id: int | None = None
    route: str | None = None
    intent: str | None = None
    confidence: float | None = None
    signals: list[dict[str, Any]] = Field(default_factory=list,
                                          description="`{name, score, reason}` each")
    backend: str | None = None
    model: str | None = None
    approved_answers: list[dict[str, Any]] = Field(
        default_factory=list, description="`{id, kb, question, answer}` each")
    policy: dict[str, Any] | None = Field(default=None, description="`{name, hash}`")


class GenericCallback(BaseModel):
    """The body POSTed to ``DESKROUTE_CALLBACK_URL`` (see README: 'Generic webhook'), signed
    like inbound webhooks; one ``webhook-id`` per ticket and event, the same on every retry."""

    type: Literal["ticket.reply", "ticket.note", "ticket.draft", "ticket.escalated"]
    ticket_id: int
    external_id: str
    text: str = Field(description="the reply, the escalation note, or the draft (ready to "
                                  "send)")
    reason: str = Field(description="why a human has the ticket (empty for a reply)")
    note: str | None = Field(default=None, description="`ticket.draft` only: what an agent "
                                                       "reads about the draft")
    draft: GenericDraft | None = Field(default=None, description="`ticket.draft` only")


class GenericConnector(Connector):
    name = "generic"
    settings_class = GenericSettings
    parse_is_local = True  # the body alone says what the event is
    idempotent_delivery = True  # webhook-id msg_<ticket>_<event> is the same on every attempt
    # what the intake's 422 calls a ticket field: the name in this payload
    payload_fields = {"external_id": "id"}

    def __init__(self, settings: GenericSettings | None = None) -> None:
        self.settings = settings or GenericSettings()

    def verify(self, headers: Mapping[str, str], body: bytes) -> str:
        """The ``webhook-id`` of an authentic request (tracked for the replay window)."""
        if not self.settings.webhook_secret:
            raise SignatureError("DESKROUTE_WEBHOOK_SECRET is not set: refusing unsigned webhooks")
        return signing.verify(
            self.settings.webhook_secret, headers, body,
            tolerance=self.settings.replay_window_seconds,
        )

    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        raw = load_json(body)
        try:
            t = GenericTicket.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "body"
            raise PayloadError(field, err["msg"]) from exc
        requester = t.requester.email or t.requester.name if isinstance(
            t.requester, Requester) else t.requester
        ticket = InboundTicket(
            source=self.name, external_id=t.id, body=t.body, channel=t.channel,
            subject=t.subject, requester=requester, language=t.language,
            thread_id=t.thread_id, metadata=t.metadata,
        )
        # The sender's own thread id: whether an earlier ticket exists is the store's to know.
        return FollowUp(ticket) if t.thread_id else NewTicket(ticket)

    def _post(self, event: str, reply: OutgoingReply, **extra: Any) -> DeliveryResult:
        url = self.settings.callback_url
        if not url:
            # Nothing to push to: the reply stays in the store, readable at GET /tickets/{id}.
            return DeliveryResult(ok=True, error="no callback URL configured; stored only")
        body = json.dumps(GenericCallback.model_validate({
            "type": event, "ticket_id": reply.ticket_id, "external_id": reply.external_id,
            "text": reply.text, "reason": reply.reason, **extra,
        }).model_dump(mode="json", exclude_unset=True)).encode()
        headers = {"content-type": "application/json"}
        if self.settings.webhook_secret:
            # One id per ticket and event, so a receiver can drop a re-sent callback.
            msg_id = f"msg_{reply.ticket_id}_{event.replace('.', '_')}"
            headers |= signing.signed_headers(self.settings.webhook_secret, msg_id, body)
        try:
            resp = httpx.post(url, content=body, headers=headers,
                              timeout=self.settings.callback_timeout)
        except httpx.HTTPError as exc:
            return DeliveryResult(ok=False, error=f"{type(exc).__name__}: {exc}", retryable=True)
        return result_of(resp, what="callback")

    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        return self._post("ticket.reply", reply)

    def note(self, reply: OutgoingReply) -> DeliveryResult:
        return self._post("ticket.note", reply)

    def suggest(self, reply: OutgoingReply) -> DeliveryResult:
        """``ticket.draft``: ``text`` is the draft itself (what the agent would send),
        ``note`` the explanation agents read, ``draft`` its context as data."""
        details = dict(reply.details)
        return self._post("ticket.draft", replace(reply, text=str(details.pop("text", ""))),
                          note=reply.text, draft=details)

    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        return self._post("ticket.escalated", reply)
