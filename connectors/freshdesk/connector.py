"""The Freshdesk connector.

Inbound: Freshdesk signs nothing, so an automation rule's "Trigger webhook" action sends a
shared token in a custom header (``X-Deskroute-Token`` by default), compared in constant
time, and a small body naming the ticket (``{"ticket_id": "{{ticket.id}}", "event":
"created" | "replied"}``). The text is read from the API, never from placeholders: the
ticket's description for a new ticket, the newest conversation for a reply — HTML and quoted
e-mail history removed. A private note or deskroute's own reply is ignored; an agent's public
reply is an ``AgentReply`` (``<ticket id>:<conversation id>``), compared with deskroute's draft.

Outcomes, from two more rules: ``"event": "status"`` reads the ticket's status — Resolved (4)
or Closed (5) is a resolution, Open (2) or Pending (3) a reopening, both ``status_only``
(Freshdesk's placeholders do not give the status before, so the core counts a reopening only
after a resolution); ``"event": "rating"`` reads the newest satisfaction rating
(``GET …/satisfaction_ratings``) and maps its ``default_question`` code onto ``CSAT_SCALE``
(``csat_value``). Dedupe: ``<ticket>:status:<status>:<updated_at>`` and
``rating:<id>:<updated_at>``.

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
    ChannelOutcome,
    DeliveryResult,
    EscalationTarget,
    FollowUp,
    Ignored,
    Inbound,
    NewTicket,
    PayloadError,
    conversation_id,
)
from connectors.freshdesk.client import OPEN, FreshdeskClient
from connectors.freshdesk.schemas import ApiTicket, RuleWebhook
from connectors.freshdesk.settings import FreshdeskSettings
from connectors.text import clean_body
from connectors.vendor import VendorConnector, parse_json, validated
from connectors.webhook_auth import expect, secret_value
from router.domain import CSAT_SCALE, InboundTicket, OutcomeKind, OutgoingReply

RESOLVED_STATUSES, OPEN_STATUSES = (4, 5), (2, 3)


def csat_value(code: int) -> float:
    """A Freshdesk rating code onto ``CSAT_SCALE`` (1..5), linearly by position on the
    seven-point scale: -103 → 1, -102 → 1.67, -101 → 2.33, 100 → 3, 101 → 3.67, 102 → 4.33,
    103 → 5 (the classic survey's 103 / 100 / -103 land on 5 / 3 / 1)."""
    step = abs(code) - 100
    if code == 100:
        step = 0
    elif not (1 <= step <= 3):
        raise PayloadError("ratings.default_question", f"unknown Freshdesk rating {code}")
    lo, hi = CSAT_SCALE
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    return round(mid + (half * step / 3) * (1 if code > 0 else -1), 2)


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
        if hook.event == "status":
            return self._status(ticket)
        if hook.event == "rating":
            return self._rating(tid)
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

    def _status(self, ticket: ApiTicket) -> Inbound:
        status = ticket.status
        if status in RESOLVED_STATUSES:
            outcome = OutcomeKind.RESOLVED
        elif status in OPEN_STATUSES:
            outcome = OutcomeKind.REOPENED
        else:
            return Ignored(f"status {status} is not an outcome", "status")
        return ChannelOutcome(thread_id=ticket.id, outcome=outcome, status_only=True,
                              event_id=f"{ticket.id}:status:{status}:{ticket.updated_at or ''}")

    def _rating(self, tid: str) -> Inbound:
        ratings = self.read_with(lambda c: c.satisfaction_ratings(tid))
        rated = [r for r in ratings if "default_question" in r.ratings]
        if not rated:
            return Ignored("the ticket has no satisfaction rating", "rating")
        newest = max(rated, key=lambda r: (r.updated_at or r.created_at or "",
                                           int(r.id) if r.id.isdigit() else 0))
        return ChannelOutcome(
            thread_id=tid, outcome=OutcomeKind.CSAT,
            value=csat_value(newest.ratings["default_question"]),
            event_id=f"rating:{newest.id}:{newest.updated_at or newest.created_at or ''}")

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
