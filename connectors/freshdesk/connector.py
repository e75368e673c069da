"""The Freshdesk connector.

Inbound: Freshdesk signs nothing, so an automation rule's "Trigger webhook" action sends a
shared token in a custom header (``X-Deskroute-Token`` by default), compared in constant
time, and a small body naming the ticket (``{"ticket_id": "{{ticket.id}}", "event":
"created" | "replied"}``). The text is read from the API, never from placeholders: the
ticket's description for a new ticket, the newest conversation for a reply — HTML and quoted
e-mail history removed. A private note or deskroute's own reply is ignored; an agent's public
reply is an ``AgentReply`` (``<ticket id>:<conversation id>``), compared with deskroute's draft.

Dedupe keys: ``<ticket id>`` for the first message, ``<ticket id>:<conversation id>`` after.

Outbound: ``POST /api/v2/tickets/{id}/reply`` (public), ``/notes`` (``private: true``); an
escalation first updates the ticket (``PUT``: group, status Open, and tags — Freshdesk's
``tags`` replaces, so the current tags are read and kept) and then adds the note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import (
    AgentReply,
    DeliveryResult,
    EscalationTarget,
    FollowUp,
    Ignored,
    Inbound,
    NewTicket,
    conversation_id,
)
from connectors.freshdesk.client import OPEN, FreshdeskClient
from connectors.freshdesk.schemas import ApiTicket, RuleWebhook
from connectors.freshdesk.settings import FreshdeskSettings
from connectors.text import clean_body
from connectors.vendor import VendorConnector, parse_json, validated
from connectors.webhook_auth import expect, secret_value
from router.domain import InboundTicket, OutgoingReply


class FreshdeskConnector(VendorConnector[FreshdeskSettings, FreshdeskClient]):
    name = "freshdesk"
    settings_class = FreshdeskSettings

    def make_client(self) -> FreshdeskClient:
        return FreshdeskClient(self.settings)

    # --- inbound --------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        token = secret_value(self.settings.webhook_token, "DESKROUTE_FRESHDESK_WEBHOOK_TOKEN")
        expect(headers, self.settings.token_header, token)

    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        hook = validated(RuleWebhook, parse_json(body))
        tid = hook.ticket_id
        ticket = self.read_with(lambda c: c.ticket(tid))
        if ticket is None:
            return Ignored(f"ticket {tid} no longer exists", hook.event)
        if hook.event == "created":
            return self._first(ticket, hook.event)
        convs = self.read_with(lambda c: c.conversations(tid))
        if not convs:
            return self._first(ticket, hook.event or "created")
        latest = convs[-1]
        if latest.private:
            return Ignored("private note", hook.event)
        if not latest.incoming:
            return self._agent_reply(tid, latest.id, latest.user_id,
                                     latest.body or latest.body_text or "", hook.event)
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

    def _agent_reply(self, tid: str, conv_id: str, user_id: str | None, body: str,
                     event: str | None) -> Inbound:
        """deskroute's own reply (ignored) or an agent's, compared with the draft."""
        try:
            own = self.client.my_agent_id()
        except LookupError:  # no API credentials: deskroute cannot have posted anything
            own = None
        if own and user_id == own:
            return Ignored("reply by deskroute's own API agent", event)
        text = clean_body(body)
        if not text:
            return Ignored("agent reply has no text", event)
        return AgentReply(thread_id=tid, text=text, event_id=f"{tid}:{conv_id}")

    # --- outbound -------------------------------------------------------------------------------

    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        tid, status = conversation_id(reply), self.settings.reply_status

        def run(c: FreshdeskClient) -> DeliveryResult:
            if status is not None:  # idempotent first, so a retry never re-posts the reply
                updated = c.update(tid, {"status": status}, "status")
                if not updated.ok:
                    return updated
            return c.reply(tid, reply.text)

        return self.deliver_with(run)

    def note(self, reply: OutgoingReply) -> DeliveryResult:
        return self.deliver_with(lambda c: c.note(conversation_id(reply), reply.text))

    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        target = target or EscalationTarget()
        group = target.group or self.settings.escalation_group_id
        wanted = list(target.tags) or [self.settings.escalation_tag]
        tid = conversation_id(reply)

        def run(c: FreshdeskClient) -> DeliveryResult:
            current = c.ticket(tid)  # UpstreamError → a retryable failure (deliver_with)
            if current is None:
                return DeliveryResult(ok=False, status_code=404,
                                      error=f"freshdesk ticket {tid} not found")
            fields: dict[str, Any] = {
                "status": OPEN, "tags": current.tags + [t for t in wanted if t not in current.tags]}
            if group:
                fields["group_id"] = int(group) if group.isdigit() else group
            updated = c.update(tid, fields, "escalation update")
            return updated if not updated.ok else c.note(tid, reply.text)

        return self.deliver_with(run)
