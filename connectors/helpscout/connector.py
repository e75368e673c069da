"""The Help Scout connector.

Inbound: webhooks with ``X-HelpScout-Event`` and ``X-HelpScout-Signature`` (base64 HMAC-SHA1
of the raw body under the webhook secret); the body is the v2 Conversation object.
``convo.created`` is a new ticket (the conversation's first customer thread),
``convo.customer.reply.created`` a follow-up (its newest customer thread). Threads come from
the payload's ``_embedded.threads`` or, when absent, from ``GET
/v2/conversations/{id}/threads``. ``convo.agent.reply.created`` is an ``AgentReply``
(``<conversation id>:<thread id>``), compared with deskroute's draft, unless its author is
``DESKROUTE_HELPSCOUT_USER_ID`` (deskroute's own replies; set it, or they are read as an
agent's — harmless in shadow and assist, where deskroute writes only notes). Notes,
conversations an agent started and every other event are ignored.

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
from connectors.helpscout.schemas import Conversation, Thread
from connectors.helpscout.settings import HelpScoutSettings
from connectors.text import clean_body
from connectors.vendor import VendorConnector, parse_json, validated
from connectors.webhook_auth import expect, header, hmac_b64, secret_value
from router.domain import InboundTicket, OutgoingReply

SIGNATURE_HEADER = "X-HelpScout-Signature"
EVENT_HEADER = "X-HelpScout-Event"
CREATED, CUSTOMER_REPLY = "convo.created", "convo.customer.reply.created"
AGENT_REPLY = "convo.agent.reply.created"


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
        if event not in (CREATED, CUSTOMER_REPLY, AGENT_REPLY):
            return Ignored(f"event {event} is not read", event)
        conv = validated(Conversation, parse_json(body))
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

    def _agent_reply(self, conv: Conversation, threads: list[Thread], event: str) -> Inbound:
        replies = sorted((t for t in threads if t.type == "message"), key=lambda t: t.order)
        if not replies:
            return Ignored("no agent reply thread", event)
        newest = replies[-1]
        own = self.settings.user_id
        if own and newest.createdBy.id and str(newest.createdBy.id) == str(own):
            return Ignored("reply by deskroute's own user", event)
        text = clean_body(newest.body or "")
        if not text:
            return Ignored("agent reply has no text", event)
        return AgentReply(thread_id=conv.id, text=text, event_id=f"{conv.id}:{newest.id}")

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
