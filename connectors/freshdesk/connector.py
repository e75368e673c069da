"""The Freshdesk connector.

Inbound: Freshdesk signs nothing, so an automation rule's "Trigger webhook" action sends a
shared token in a custom header (``X-Deskroute-Token`` by default), compared in constant
time, and a small body naming the ticket (``{"ticket_id": "{{ticket.id}}", "event":
"created" | "replied"}``). The text is read from the API, never from placeholders: the
ticket's description for a new ticket, the newest conversation for a reply — HTML and quoted
e-mail history removed. A private note, an agent's reply or deskroute's own is ignored.

Dedupe keys: ``<ticket id>`` for the first message, ``<ticket id>:<conversation id>`` after.

Outbound: ``POST /api/v2/tickets/{id}/reply`` (public), ``/notes`` (``private: true``); an
escalation first updates the ticket (``PUT``: group, status Open, and tags — Freshdesk's
``tags`` replaces, so the current tags are read and kept) and then adds the note.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from connectors.base import (
    Connector,
    DeliveryResult,
    EscalationTarget,
    FollowUp,
    Ignored,
    Inbound,
    NewTicket,
    PayloadError,
    SignatureError,
    UpstreamError,
    conversation_id,
)
from connectors.freshdesk.client import OPEN, FreshdeskClient
from connectors.freshdesk.schemas import ApiTicket, RuleWebhook
from connectors.freshdesk.settings import FreshdeskSettings
from connectors.text import clean_body
from connectors.webhook_auth import header, same
from router.domain import InboundTicket, OutgoingReply


class FreshdeskConnector(Connector):
    name = "freshdesk"
    settings_class = FreshdeskSettings

    def __init__(self, settings: FreshdeskSettings | None = None) -> None:
        self.settings = settings or FreshdeskSettings()
        self._client: FreshdeskClient | None = None

    @property
    def client(self) -> FreshdeskClient:
        if self._client is None:
            self._client = FreshdeskClient(self.settings)
        return self._client

    # --- inbound --------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        token = self.settings.webhook_token
        if token is None:
            raise SignatureError(
                "DESKROUTE_FRESHDESK_WEBHOOK_TOKEN is not set: refusing unauthenticated webhooks")
        given = header(headers, self.settings.token_header)
        if given is None:
            raise SignatureError(f"missing or malformed {self.settings.token_header} header")
        if not same(given, token.get_secret_value()):
            raise SignatureError(f"{self.settings.token_header} does not match")

    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        try:
            raw = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PayloadError("body", f"not valid JSON: {exc}") from exc
        try:
            hook = RuleWebhook.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise PayloadError(".".join(str(p) for p in err["loc"]) or "body", err["msg"]) \
                from exc
        tid = hook.ticket_id
        ticket = self._api(lambda c: c.ticket(tid))
        if ticket is None:
            return Ignored(f"ticket {tid} no longer exists", hook.event)
        if hook.event == "created":
            return self._first(ticket, hook.event)
        convs = self._api(lambda c: c.conversations(tid))
        if not convs:
            return self._first(ticket, hook.event or "created")
        latest = convs[-1]
        if latest.private:
            return Ignored("private note", hook.event)
        if not latest.incoming:
            return Ignored(self._agent_reason(latest.user_id), hook.event)
        text = clean_body(latest.body or latest.body_text or "")
        if not text:
            return Ignored("reply has no text to answer", hook.event)
        return FollowUp(self._ticket(ticket, f"{tid}:{latest.id}", text, latest.id))

    def _first(self, ticket: ApiTicket, event: str | None) -> Inbound:
        text = clean_body(ticket.description or ticket.description_text or "")
        if not text:
            return Ignored("ticket has no text to answer", event)
        return NewTicket(self._ticket(ticket, ticket.id, text, None))

    def _ticket(self, t: ApiTicket, external_id: str, text: str,
                conv: str | None) -> InboundTicket:
        requester = (t.requester.email or t.requester.name) if t.requester else t.requester_id
        meta = {"freshdesk_ticket_id": t.id}
        if conv:
            meta["freshdesk_conversation_id"] = conv
        return InboundTicket(source=self.name, external_id=external_id, body=text,
                             subject=t.subject or "", channel="freshdesk", requester=requester,
                             thread_id=t.id, metadata=meta)

    def _agent_reason(self, user_id: str | None) -> str:
        try:
            own = self.client.my_agent_id()
        except (LookupError, UpstreamError):
            own = None
        if own and user_id == own:
            return "reply by deskroute's own API agent"
        return "reply by an agent"

    def _api(self, call: Callable[[FreshdeskClient], Any]) -> Any:
        try:
            client = self.client
        except LookupError as exc:
            raise UpstreamError(str(exc)) from None
        return call(client)

    # --- outbound -------------------------------------------------------------------------------

    def _deliver(self, call: Callable[[FreshdeskClient], DeliveryResult]) -> DeliveryResult:
        try:
            client = self.client
        except LookupError as exc:
            return DeliveryResult(ok=False, error=str(exc))
        return call(client)

    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        tid, status = conversation_id(reply), self.settings.reply_status

        def run(c: FreshdeskClient) -> DeliveryResult:
            if status is not None:  # idempotent first, so a retry never re-posts the reply
                updated = c.update(tid, {"status": status}, "status")
                if not updated.ok:
                    return updated
            return c.reply(tid, reply.text)

        return self._deliver(run)

    def note(self, reply: OutgoingReply) -> DeliveryResult:
        return self._deliver(lambda c: c.note(conversation_id(reply), reply.text))

    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        target = target or EscalationTarget()
        group = target.group or self.settings.escalation_group_id
        wanted = list(target.tags) or [self.settings.escalation_tag]
        tid = conversation_id(reply)

        def run(c: FreshdeskClient) -> DeliveryResult:
            try:
                current = c.ticket(tid)
            except UpstreamError as exc:
                return DeliveryResult(ok=False, error=str(exc), retryable=True,
                                      retry_after=exc.retry_after)
            if current is None:
                return DeliveryResult(ok=False, status_code=404,
                                      error=f"freshdesk ticket {tid} not found")
            fields: dict[str, Any] = {
                "status": OPEN, "tags": current.tags + [t for t in wanted if t not in current.tags]}
            if group:
                fields["group_id"] = int(group) if group.isdigit() else group
            updated = c.update(tid, fields, "escalation update")
            return updated if not updated.ok else c.note(tid, reply.text)

        return self._deliver(run)
