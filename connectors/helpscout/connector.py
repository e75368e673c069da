"""The Help Scout connector.

Inbound: webhooks with ``X-HelpScout-Event`` and ``X-HelpScout-Signature`` (base64 HMAC-SHA1
of the raw body under the webhook secret); the body is the v2 Conversation object.
``convo.created`` is a new ticket (the conversation's first customer thread),
``convo.customer.reply.created`` a follow-up (its newest customer thread). Threads come from
the payload's ``_embedded.threads`` or, when absent, from ``GET
/v2/conversations/{id}/threads``. ``convo.agent.reply.created`` is an ``AgentReply``
(``<conversation id>:<thread id>``), compared with deskroute's draft, unless its author is
deskroute's own user: ``DESKROUTE_HELPSCOUT_USER_ID`` or, when unset, the user the app's token
acts as (``GET /v2/users/me``, asked once per process the first time an event needs it; a
failure is ``UpstreamError``, a 503, so Help Scout redelivers). Notes, conversations an agent
started and every other event are ignored.

Outcomes: ``convo.status`` (body: the Conversation with its new ``status``; the old one is not
sent) — ``closed`` is a resolution, ``active``/``pending`` a reopening, both ``status_only`` so
the core counts a reopening only after a resolution; ``satisfaction.ratings`` (body: the Rating
object, ``ticketId`` = the conversation) is a CSAT: Great 5, Okay 3, Bad 1 on ``CSAT_SCALE``.

Dedupe keys: ``<conversation id>`` for the first message, ``<conversation id>:<thread id>``.

Outbound (OAuth2 client credentials): ``POST /v2/conversations/{id}/reply`` (to the
conversation's customer), ``POST …/notes``; an escalation sets the tags (``PUT …/tags``
replaces them, so the current ones are kept), assigns (``PATCH /assignTo``), reopens
(``PATCH /status`` active) and then adds the note — idempotent calls first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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
from connectors.helpscout.client import HelpScoutClient
from connectors.helpscout.schemas import Conversation, Rating, Thread
from connectors.helpscout.settings import HelpScoutSettings
from connectors.text import clean_body
from connectors.vendor import VendorConnector, parse_json, validated
from connectors.webhook_auth import expect, header, hmac_b64, secret_value
from router.domain import InboundTicket, OutcomeKind, OutgoingReply

SIGNATURE_HEADER = "X-HelpScout-Signature"
EVENT_HEADER = "X-HelpScout-Event"
CREATED, CUSTOMER_REPLY = "convo.created", "convo.customer.reply.created"
AGENT_REPLY = "convo.agent.reply.created"
STATUS, RATING = "convo.status", "satisfaction.ratings"
#: Help Scout's three-point rating onto CSAT_SCALE (1..5): the ends and the middle
RATING_SCALE = {"great": 5.0, "okay": 3.0, "bad": 1.0}


def sign(secret: str, body: bytes) -> str:
    return hmac_b64(secret.encode(), body, "sha1")


class HelpScoutConnector(VendorConnector[HelpScoutSettings, HelpScoutClient]):
    name = "helpscout"
    settings_class = HelpScoutSettings

    def make_client(self) -> HelpScoutClient:
        return HelpScoutClient(self.settings)

    # --- inbound --------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        secret = secret_value(self.settings.secret, "DESKROUTE_HELPSCOUT_SECRET")
        expect(headers, SIGNATURE_HEADER, sign(secret, body))

    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        event = header(headers, EVENT_HEADER)
        if event is None:
            raise PayloadError(EVENT_HEADER, "missing: which Help Scout event is this?")
        if event == RATING:
            return self._rating(validated(Rating, parse_json(body)))
        if event not in (CREATED, CUSTOMER_REPLY, AGENT_REPLY, STATUS):
            return Ignored(f"event {event} is not read", event)
        conv = validated(Conversation, parse_json(body))
        if event == STATUS:
            return self._status(conv)
        threads = conv.embedded.threads if conv.embedded and conv.embedded.threads else \
            self.read_with(lambda c: c.threads(conv.id))
        if event == AGENT_REPLY:
            return self._agent_reply(conv, threads, event)
        customer = sorted((t for t in threads if t.type == "customer"), key=lambda t: t.order)
        if event == CREATED:
            if conv.createdBy.type == "user":
                return Ignored("conversation started by an agent", event)
            if not customer:
                return Ignored("no customer message to answer", event)
            return self._made(NewTicket, conv, conv.id, customer[0], event)
        newest = max(threads, key=lambda t: t.order, default=None)
        if newest is None or newest.type != "customer":
            return Ignored("newest thread is not the customer's", event)
        return self._made(FollowUp, conv, f"{conv.id}:{newest.id}", newest, event)

    def _status(self, conv: Conversation) -> Inbound:
        """Closed: resolved; active or pending: reopened (only after a resolution, which the
        core checks: Help Scout does not send the previous status)."""
        status = (conv.status or "").lower()
        if status == "closed" and conv.closedBy and conv.closedBy == self._own_user_id():
            return Ignored("closed by deskroute's own user (its reply status)", STATUS)
        if status == "closed":
            outcome, at = OutcomeKind.RESOLVED, conv.closedAt or conv.userUpdatedAt
        elif status in ("active", "pending"):
            outcome, at = OutcomeKind.REOPENED, conv.userUpdatedAt
        else:
            return Ignored(f"status {status or '?'} is not an outcome", STATUS)
        return ChannelOutcome(thread_id=conv.id, outcome=outcome, status_only=True,
                              event_id=f"{conv.id}:status:{status}:{at or ''}")

    def _rating(self, rating: Rating) -> Inbound:
        value = RATING_SCALE.get(rating.rating.strip().lower())
        if value is None:
            raise PayloadError("rating", f"expected Great, Okay or Bad, got {rating.rating!r}")
        return ChannelOutcome(
            thread_id=rating.ticketId, outcome=OutcomeKind.CSAT, value=value,
            event_id=f"rating:{rating.id}:{rating.modifiedAt or rating.createdAt or ''}")

    def _agent_reply(self, conv: Conversation, threads: list[Thread], event: str) -> Inbound:
        replies = sorted((t for t in threads if t.type == "message"), key=lambda t: t.order)
        if not replies:
            return Ignored("no agent reply thread", event)
        newest = replies[-1]
        if newest.createdBy.id and newest.createdBy.id == self._own_user_id():
            return Ignored("reply by deskroute's own user", event)
        text = clean_body(newest.body or "")
        if not text:
            return Ignored("agent reply has no text", event)
        return AgentReply(thread_id=conv.id, text=text, event_id=f"{conv.id}:{newest.id}")

    def _own_user_id(self) -> str | None:
        """The user deskroute's replies are written by (see the module docstring)."""
        if self.settings.user_id:
            return self.settings.user_id
        try:
            client = self.client
        except LookupError:  # no API credentials: deskroute cannot have replied or closed
            return None
        return client.my_user_id()

    def _made(self, kind: Callable[[InboundTicket], Inbound], conv: Conversation,
              external_id: str, thread: Thread, event: str) -> Inbound:
        text = clean_body(thread.body or "")
        if not text:
            return Ignored("message has no text to answer", event)
        person = conv.primaryCustomer if conv.primaryCustomer.id else thread.createdBy
        meta = {"helpscout_conversation_id": conv.id, "helpscout_thread_id": thread.id,
                "helpscout_customer_id": person.id}
        return kind(InboundTicket(
            source=self.name, external_id=external_id, body=text, subject=conv.subject or "",
            channel="helpscout", requester=person.email or person.id, thread_id=conv.id,
            metadata={k: v for k, v in meta.items() if v}))

    # --- outbound -------------------------------------------------------------------------------

    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        conv = conversation_id(reply)

        def run(c: HelpScoutClient) -> DeliveryResult:
            customer = reply.metadata.get("helpscout_customer_id")
            if not customer:
                found = c.conversation(conv)
                customer = found.primaryCustomer.id if found else None
            if not customer:
                return DeliveryResult(ok=False, error=f"helpscout conversation {conv}: "
                                      "no customer to reply to")
            return c.reply(conv, str(customer), reply.text)

        return self.deliver_with(run)

    def note(self, reply: OutgoingReply) -> DeliveryResult:
        return self.deliver_with(lambda c: c.note(conversation_id(reply), reply.text))

    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        target = target or EscalationTarget()
        assignee = target.group or self.settings.escalation_assignee_id
        wanted = list(target.tags) or [self.settings.escalation_tag]
        conv = conversation_id(reply)

        def run(c: HelpScoutClient) -> DeliveryResult:
            current = c.conversation(conv)
            if current is None:
                return DeliveryResult(ok=False, status_code=404,
                                      error=f"helpscout conversation {conv} not found")
            have = [t.tag for t in current.tags if t.tag]
            steps: list[Callable[[], DeliveryResult]] = [
                lambda: c.set_tags(conv, have + [t for t in wanted if t not in have])]
            if assignee:
                steps.append(lambda: c.patch(
                    conv, "/assignTo", int(assignee) if assignee.isdigit() else assignee))
            steps.append(lambda: c.patch(conv, "/status", "active"))
            for step in steps:
                done = step()
                if not done.ok:
                    return done
            return c.note(conv, reply.text)

        return self.deliver_with(run)
