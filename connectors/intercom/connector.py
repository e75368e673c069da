"""The Intercom connector.

Inbound: ``notification_event`` webhooks signed with the app's client secret
(``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body>``). ``conversation.user.created``
is a new ticket (the conversation's ``source``), ``conversation.user.replied`` a follow-up
(its newest comment part by the customer). ``conversation.admin.replied`` by a teammate is an
``AgentReply`` (``<conversation id>:<part id>``), compared with deskroute's draft; deskroute's
own replies (by ``DESKROUTE_INTERCOM_ADMIN_ID``), other admin topics, bot parts and ``ping``
are ignored.

Outcomes (topics from developers.intercom.com, Webhook models; each sends the Conversation):
``conversation.admin.closed`` is a resolution, ``conversation.admin.opened`` a reopening
(counted only after a resolution: the notification does not say the state before), and
``conversation.rating.added`` a CSAT — the conversation's ``conversation_rating.rating``, which
Intercom keeps on 1..5 like ``CSAT_SCALE``, taken as is. Dedupe: the notification's id
(``notif_…``, the same on a redelivery) for closes and opens; the conversation and the rating's
``created_at``/``updated_at`` for a rating, so a changed rating counts as the newer one.

Dedupe keys: ``<conversation id>`` for the opening message, ``<conversation id>:<part id>``
for a reply; a redelivered notification carries the same ids.

Outbound: ``POST /conversations/{id}/reply`` as the configured admin, ``message_type``
``comment`` (reply) or ``note``; hand-off tags the conversation (``POST /tags`` then
``POST /conversations/{id}/tags``), assigns it to the team (``POST …/parts``,
``message_type: assignment``) and leaves the note — idempotent calls first.
"""

from __future__ import annotations

from collections.abc import Mapping

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
from connectors.intercom.client import IntercomClient
from connectors.intercom.schemas import CUSTOMER_TYPES, Author, Conversation, Notification
from connectors.intercom.settings import IntercomSettings
from connectors.text import clean_body
from connectors.vendor import VendorConnector, parse_json, validated
from connectors.webhook_auth import expect, hmac_hex, secret_value
from router.domain import CSAT_SCALE, InboundTicket, OutcomeKind, OutgoingReply

SIGNATURE_HEADER = "X-Hub-Signature"
CLOSED, OPENED = "conversation.admin.closed", "conversation.admin.opened"
RATED = "conversation.rating.added"


def sign(secret: str, body: bytes) -> str:
    return "sha1=" + hmac_hex(secret.encode(), body, "sha1")


class IntercomConnector(VendorConnector[IntercomSettings, IntercomClient]):
    name = "intercom"
    settings_class = IntercomSettings
    parse_is_local = True  # the body alone says what the event is

    def make_client(self) -> IntercomClient:
        return IntercomClient(self.settings)

    # --- inbound --------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        secret = secret_value(self.settings.client_secret, "DESKROUTE_INTERCOM_CLIENT_SECRET")
        expect(headers, SIGNATURE_HEADER, sign(secret, body))

    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        note = validated(Notification, parse_json(body))
        conv = validated(Conversation, note.data.item) if note.topic.startswith(
            "conversation.") else None
        topic = note.topic
        if topic == "ping":
            return Ignored("ping", topic)
        if conv is not None and topic == "conversation.admin.replied":
            return self._admin_reply(conv, topic)
        if conv is not None and topic in (CLOSED, OPENED, RATED):
            return self._outcome(conv, topic, note.id)
        if conv is None or topic not in ("conversation.user.created",
                                         "conversation.user.replied"):
            return Ignored(f"topic {topic} is not read", topic)
        if topic == "conversation.user.created":
            source = conv.source
            if source is None:
                raise PayloadError("data.item.source", "missing in conversation.user.created")
            if source.author.type not in CUSTOMER_TYPES:
                return Ignored(self._not_customer(source.author), topic)
            text = clean_body(source.body or "")
            if not text:
                return Ignored("message has no text to answer", topic)
            return NewTicket(self._ticket(conv, conv.id, text, source.author,
                                          subject=source.subject))
        comments = [p for p in conv.conversation_parts.conversation_parts
                    if p.part_type in ("comment", None)]
        if not comments:
            return Ignored("no reply part in the notification", topic)
        part = comments[-1]
        if part.author.type not in CUSTOMER_TYPES:
            return Ignored(self._not_customer(part.author), topic)
        text = clean_body(part.body or "")
        if not text:
            return Ignored("reply has no text to answer", topic)
        return FollowUp(self._ticket(conv, f"{conv.id}:{part.id}", text, part.author,
                                     part_id=part.id))

    def _admin_reply(self, conv: Conversation, topic: str) -> Inbound:
        """A teammate's public reply (compared with the draft); deskroute's own is ignored."""
        comments = [p for p in conv.conversation_parts.conversation_parts
                    if p.part_type in ("comment", None)]
        if not comments:
            return Ignored("no reply part in the notification", topic)
        part = comments[-1]
        if part.author.type != "admin":
            return Ignored(f"written by a {part.author.type or 'non-admin'}", topic)
        if part.author.id and part.author.id == self.settings.admin_id:
            return Ignored("written by deskroute's own admin (its reply)", topic)
        text = clean_body(part.body or "")
        if not text:
            return Ignored("reply has no text", topic)
        return AgentReply(thread_id=conv.id, text=text, event_id=f"{conv.id}:{part.id}")

    def _outcome(self, conv: Conversation, topic: str, notif_id: str | None) -> Inbound:
        if topic == RATED:
            rating = conv.conversation_rating
            lo, hi = CSAT_SCALE
            if rating is None or rating.rating is None:
                raise PayloadError("data.item.conversation_rating.rating", f"missing in {topic}")
            if not lo <= rating.rating <= hi:
                raise PayloadError("data.item.conversation_rating.rating",
                                   f"expected {lo}..{hi}, got {rating.rating}")
            at = f"{rating.created_at or ''}:{rating.updated_at or ''}"
            return ChannelOutcome(thread_id=conv.id, outcome=OutcomeKind.CSAT,
                                  value=float(rating.rating), event_id=f"{conv.id}:rating:{at}")
        event_id = notif_id or f"{conv.id}:{topic}:{conv.updated_at or ''}"
        if topic == CLOSED:
            return ChannelOutcome(thread_id=conv.id, outcome=OutcomeKind.RESOLVED,
                                  event_id=event_id)
        return ChannelOutcome(thread_id=conv.id, outcome=OutcomeKind.REOPENED,
                              event_id=event_id, status_only=True)

    def _not_customer(self, author: Author) -> str:
        if author.type == "admin" and author.id and author.id == self.settings.admin_id:
            return "written by deskroute's own admin (its reply)"
        return f"written by a {author.type or 'non-customer'}, not the customer"

    def _ticket(self, conv: Conversation, external_id: str, text: str, author: Author, *,
                subject: str | None = None, part_id: str | None = None) -> InboundTicket:
        meta = {"intercom_conversation_id": conv.id, "intercom_contact_id": author.id}
        if part_id:
            meta["intercom_part_id"] = part_id
        return InboundTicket(source=self.name, external_id=external_id, body=text,
                             subject=clean_body(subject or ""), channel="intercom",
                             requester=author.email or author.id, thread_id=conv.id,
                             metadata={k: v for k, v in meta.items() if v})

    # --- outbound -------------------------------------------------------------------------------

    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        return self.deliver_with(lambda c: c.reply(conversation_id(reply), reply.text, "comment"))

    def note(self, reply: OutgoingReply) -> DeliveryResult:
        return self.deliver_with(lambda c: c.reply(conversation_id(reply), reply.text, "note"))

    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        target = target or EscalationTarget()
        team = target.group or self.settings.escalation_team_id
        tags = list(target.tags) or [self.settings.escalation_tag]
        conv = conversation_id(reply)

        def run(c: IntercomClient) -> DeliveryResult:
            for name in tags:
                tag, looked_up = c.tag_id(name)
                if tag is None:
                    return looked_up if not looked_up.ok else DeliveryResult(
                        ok=False, status_code=looked_up.status_code,
                        error=f"intercom tag lookup for {name!r} answered no id")
                tagged = c.add_tag(conv, tag)
                if not tagged.ok:
                    return tagged
            if team:
                assigned = c.assign_team(conv, team)
                if not assigned.ok:
                    return assigned
            return c.reply(conv, reply.text, "note")

        return self.deliver_with(run)
