"""The Zendesk connector.

Inbound, two webhook kinds (both signed the same way):

* **event webhooks** — ``zen:event-type:ticket.created`` (the ticket's description is its first
  message) and ``zen:event-type:ticket.comment_added`` (a later public comment by the
  requester). Internal notes and deskroute's own comments are ignored, so deskroute never
  answers an agent or itself; an agent's public comment is an ``AgentReply`` (dedupe key
  ``<ticket id>:<comment id>``), compared with the draft deskroute offered or kept.
* **trigger webhooks** — a trigger's "Notify webhook" action sending ``{"ticket_id":
  "{{ticket.id}}"}``; the newest public comment is fetched from the API. With ``"event":
  "satisfaction"`` (a trigger on "Satisfaction is changed") the ticket's
  ``satisfaction_rating`` is read instead: ``good`` is a CSAT of 5, ``bad`` of 1 (Zendesk's
  legacy CSAT is two-point), dedupe ``satisfaction:<rating id>:<score>``.

Outcomes from event webhooks: ``ticket.status_changed`` to solved/closed is a resolution, from
solved/closed back to an open status a reopening (the event carries both statuses).

Dedupe keys (``external_id``): the ticket's first message is ``<ticket id>`` whichever webhook
brought it; a later comment is ``<ticket id>:<comment id>``. ``thread_id`` is the ticket id.

Outbound: ``PUT /api/v2/tickets/{id}.json`` with ``comment.public`` true (reply) or false
(note); an escalation first adds tags (``PUT …/tags``, which keeps existing tags), then posts
the note with ``group_id`` and ``status: open`` — idempotent calls first, so a retry after a
failure only repeats those.
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
from connectors.text import clean_body
from connectors.vendor import VendorConnector, parse_json, validated
from connectors.webhook_auth import secret_value
from connectors.zendesk import signature
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.schemas import (
    COMMENT_ADDED,
    STATUS_CHANGED,
    TICKET_CREATED,
    ApiComment,
    EventWebhook,
    TriggerWebhook,
)
from connectors.zendesk.settings import ZendeskSettings
from router.domain import InboundTicket, OutcomeKind, OutgoingReply

_DONE = frozenset({"solved", "closed"})
#: Zendesk's two-point satisfaction onto CSAT_SCALE: its ends
SATISFACTION_SCALE = {"good": 5.0, "bad": 1.0}


class ZendeskConnector(VendorConnector[ZendeskSettings, ZendeskClient]):
    name = "zendesk"
    settings_class = ZendeskSettings

    def make_client(self) -> ZendeskClient:
        return ZendeskClient(self.settings)

    # --- inbound --------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        secret = secret_value(self.settings.webhook_secret, "DESKROUTE_ZENDESK_WEBHOOK_SECRET")
        signature.verify(secret, headers, body, tolerance=self.settings.replay_window_seconds)

    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        raw = parse_json(body)
        if not isinstance(raw, dict):
            raise PayloadError("body", "expected a JSON object")
        if "type" in raw:
            return self._event(validated(EventWebhook, raw))
        return self._trigger(validated(TriggerWebhook, raw))

    def _ticket(self, *, external_id: str, ticket_id: str, body: str, subject: str | None,
                requester: str | None, **meta: Any) -> InboundTicket:
        return InboundTicket(
            source=self.name, external_id=external_id, body=body, subject=subject or "",
            channel="zendesk", requester=requester, thread_id=ticket_id,
            metadata={"zendesk_ticket_id": ticket_id, **{k: v for k, v in meta.items() if v}},
        )

    def _event(self, ev: EventWebhook) -> Inbound:
        d = ev.detail
        if ev.type == TICKET_CREATED:
            text = clean_body(d.description or "") or self._first_comment_text(d.id)
            if not text:
                return Ignored("ticket has no text to answer", ev.type)
            return NewTicket(self._ticket(
                external_id=d.id, ticket_id=d.id, body=text, subject=d.subject,
                requester=d.requester_id, zendesk_event_id=ev.id))
        if ev.type == STATUS_CHANGED:
            return self._status_changed(ev)
        if ev.type != COMMENT_ADDED:
            return Ignored(f"event type {ev.type} is not read", ev.type)
        comment = ev.event.comment
        if comment is None:
            raise PayloadError("event.comment", "missing in a comment_added event")
        if not comment.is_public:
            return Ignored("internal note", ev.type)
        if comment.author.is_staff:
            return self._staff_comment(d.id, comment.id, comment.body, comment.author.id, ev.type)
        text = clean_body(comment.body or "") or self._comment_text(d.id, comment.id)
        if not text:
            return Ignored("comment has no text to answer", ev.type)
        first = text == clean_body(d.description or "")
        made = self._ticket(
            external_id=d.id if first else f"{d.id}:{comment.id}", ticket_id=d.id, body=text,
            subject=d.subject, requester=comment.author.id or d.requester_id,
            zendesk_event_id=ev.id, zendesk_comment_id=comment.id)
        return NewTicket(made) if first else FollowUp(made)

    def _status_changed(self, ev: EventWebhook) -> Inbound:
        """Solved (or closed) is a confirmed resolution; solved/closed back to an open status
        is a reopening; any other change is not an outcome."""
        now = (ev.event.current or ev.detail.status or "").lower()
        before = (ev.event.previous or "").lower()
        if now in _DONE and before not in _DONE:
            outcome = OutcomeKind.RESOLVED
        elif before in _DONE and now and now not in _DONE:
            outcome = OutcomeKind.REOPENED
        else:
            return Ignored(f"status {before or '?'} -> {now or '?'} is not an outcome", ev.type)
        if ev.detail.actor_id and ev.detail.actor_id == self._own_user_id():
            # deskroute's own reply set it (DESKROUTE_ZENDESK_REPLY_STATUS=solved): not the
            # customer's or an agent's word that the problem is solved
            return Ignored("status set by deskroute's own API user (its reply)", ev.type)
        return ChannelOutcome(thread_id=ev.detail.id, outcome=outcome, event_id=ev.id)

    def _own_user_id(self) -> str | None:
        try:
            return self.client.my_user_id()
        except LookupError:  # no API credentials: deskroute cannot have changed anything
            return None

    def _trigger(self, trig: TriggerWebhook) -> Inbound:
        tid = trig.ticket_id
        if trig.event == "satisfaction":
            return self._satisfaction(tid)
        page = self.read_with(lambda c: c.recent_comments(tid))
        if page is None:
            return Ignored(f"ticket {tid} no longer exists", "trigger")
        public = [c for c in page.comments if c.public]
        if not public:
            return Ignored("no public comment to answer", "trigger")
        latest = public[0]
        roles = {u.id: u.role for u in page.users}
        if roles.get(latest.author_id or "") not in (None, "end-user"):
            return self._staff_comment(tid, latest.id, latest.text, latest.author_id, "trigger")
        first = page.next_page is None and latest.id == page.comments[-1].id
        ticket = self.read_with(lambda c: c.ticket(tid))
        text = clean_body(latest.text)
        if not text:
            return Ignored("comment has no text to answer", "trigger")
        made = self._ticket(
            external_id=tid if first else f"{tid}:{latest.id}", ticket_id=tid, body=text,
            subject=ticket.subject if ticket else None, requester=latest.author_id,
            zendesk_comment_id=latest.id)
        return NewTicket(made) if first else FollowUp(made)

    def _satisfaction(self, tid: str) -> Inbound:
        ticket = self.read_with(lambda c: c.ticket(tid))
        rating = ticket.satisfaction_rating if ticket else None
        score = (rating.score or "").lower() if rating else ""
        if rating is None or score not in SATISFACTION_SCALE:
            return Ignored(f"ticket {tid} is not rated ({score or 'no rating'})", "trigger")
        return ChannelOutcome(thread_id=tid, outcome=OutcomeKind.CSAT,
                              value=SATISFACTION_SCALE[score],
                              event_id=f"satisfaction:{rating.id or tid}:{score}")

    def _staff_comment(self, ticket_id: str, comment_id: str | None, body: str | None,
                       author_id: str | None, event: str) -> Inbound:
        """A public comment by staff: deskroute's own reply (ignored) or an agent's reply to
        the customer, which deskroute compares with the draft it offered."""
        own = self._own_user_id()
        if own and author_id == own:
            return Ignored("comment by deskroute's own API user (its reply)", event)
        text = clean_body(body or "") or (
            self._comment_text(ticket_id, comment_id) if comment_id else "")
        if not text:
            return Ignored("agent comment has no text", event)
        return AgentReply(thread_id=ticket_id, text=text, event_id=f"{ticket_id}:{comment_id}")

    def _comment_text(self, ticket_id: str, comment_id: str) -> str:
        page = self.read_with(lambda c: c.recent_comments(ticket_id))
        found: list[ApiComment] = [c for c in (page.comments if page else [])
                                   if c.id == comment_id]
        return clean_body(found[0].text) if found else ""

    def _first_comment_text(self, ticket_id: str) -> str:
        page = self.read_with(lambda c: c.recent_comments(ticket_id))
        return clean_body(page.comments[-1].text) if page and page.comments else ""

    # --- outbound -------------------------------------------------------------------------------

    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        ticket: dict[str, Any] = {"comment": {"body": reply.text, "public": True}}
        if self.settings.reply_status:
            ticket["status"] = self.settings.reply_status
        return self.deliver_with(lambda c: c.update(conversation_id(reply), ticket, "reply"))

    def note(self, reply: OutgoingReply) -> DeliveryResult:
        ticket = {"comment": {"body": reply.text, "public": False}}
        return self.deliver_with(lambda c: c.update(conversation_id(reply), ticket, "note"))

    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        target = target or EscalationTarget()
        group = target.group or self.settings.escalation_group_id
        tags = list(target.tags) or [self.settings.escalation_tag]
        tid = conversation_id(reply)
        ticket: dict[str, Any] = {"comment": {"body": reply.text, "public": False},
                                  "status": "open"}
        if group:
            ticket["group_id"] = int(group) if group.isdigit() else group

        def run(c: ZendeskClient) -> DeliveryResult:
            tagged = c.add_tags(tid, tags)
            return tagged if not tagged.ok else c.update(tid, ticket, "escalation")

        return self.deliver_with(run)
