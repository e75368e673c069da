"""The one typed interface covering every call the core makes to a channel.

Connectors import only ``router.domain`` and this package. Fakes implement it too.

Inbound: ``verify`` proves the raw body authentic, ``parse`` says what the event *is* — a new
ticket, a follow-up message in a conversation the core may already know, or an event to
ignore (an agent's comment, deskroute's own reply, a topic we do not read) — so the webhook
handler needs no per-vendor case. Outbound: a public ``reply``, an internal ``note``, a
``suggest`` (assist mode's draft for the agents: a note unless the channel has a better
place), and an ``escalate`` that leaves a note, assigns a group/team and adds tags (never
replacing the ticket's existing tags). Every outbound call answers a ``DeliveryResult``; a
429 carries the vendor's ``retry_after`` so the core waits as long as it was asked to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic_settings import BaseSettings

from router.domain import InboundTicket, OutcomeKind, OutgoingReply


class SignatureError(Exception):
    """The request is not authentic (unsigned, forged or replayed): answer 401."""


class PayloadError(Exception):
    """The payload is malformed: answer 422 naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UpstreamError(Exception):
    """The vendor API a parse needed (to fetch a comment's text) failed: answer 503.

    The vendor then redelivers the webhook later; nothing is stored meanwhile.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- what an inbound event is ---------------------------------------------------------------


@dataclass(frozen=True)
class NewTicket:
    """The first customer message of a conversation."""

    ticket: InboundTicket
    kind: ClassVar[str] = "ticket"


@dataclass(frozen=True)
class FollowUp:
    """A later customer message; ``ticket.thread_id`` is the vendor's conversation id.

    It is stored as its own ticket row (``external_id`` = the vendor's message id, so a
    redelivery is one row) and routed with the conversation's context.
    """

    ticket: InboundTicket
    kind: ClassVar[str] = "follow_up"

    def __post_init__(self) -> None:
        if not self.ticket.thread_id:
            raise ValueError("a follow-up needs the conversation id as thread_id")


@dataclass(frozen=True)
class Ignored:
    """An authentic event deskroute deliberately does not act on (answered 2xx, not stored)."""

    reason: str
    event: str | None = None
    kind: ClassVar[str] = "ignored"


MAX_VENDOR_ID_CHARS = 255  # the store's columns for thread and event ids


def _check_vendor_ids(event: AgentReply | ChannelOutcome) -> None:
    """Thread and event ids fit the store (``PayloadError``, a 422, names the one that does
    not): these events skip ``router.intake.prepare_ticket``, and vendor ids are unbounded
    (Zendesk's comment id, Intercom's notification id): 256 characters were a 500 on
    PostgreSQL and stored on SQLite."""
    for name in ("thread_id", "event_id"):
        value = getattr(event, name)
        if len(value) > MAX_VENDOR_ID_CHARS:
            raise PayloadError(name, f"the vendor's id is longer than {MAX_VENDOR_ID_CHARS} "
                                      f"characters ({len(value)})")


@dataclass(frozen=True)
class AgentReply:
    """A public reply an agent wrote on a conversation (a helpdesk comment, an admin reply).

    Not a ticket: deskroute compares it with the draft it offered (assist) or kept (shadow)
    for the latest customer message of ``thread_id``. ``event_id`` is the vendor's id of the
    reply, so a redelivered event is recorded once.
    """

    thread_id: str
    text: str
    event_id: str
    kind: ClassVar[str] = "agent_reply"

    def __post_init__(self) -> None:
        _check_vendor_ids(self)


@dataclass(frozen=True)
class ChannelOutcome:
    """What the channel reports happened to a conversation after deskroute answered: the
    helpdesk marked it solved, it was reopened, the customer rated it (``kind`` is a
    ``router.domain.OutcomeKind`` value, ``value`` a CSAT score on ``CSAT_SCALE``).

    Recorded on the conversation's newest ticket; ``event_id`` (the vendor's event id) makes a
    redelivered event count once. ``status_only``: the channel said only the new status, not
    the one before (Help Scout's ``convo.status``, a Freshdesk rule): the core then records a
    resolution only when the ticket is not resolved already and a reopening only after a
    resolution, so "pending" after deskroute's own reply is not a reopening.
    """

    thread_id: str
    outcome: OutcomeKind
    event_id: str
    value: float | None = None
    status_only: bool = False
    kind: ClassVar[str] = "outcome"

    def __post_init__(self) -> None:
        _check_vendor_ids(self)


@dataclass(frozen=True)
class Handshake:
    """An authentic set-up request the sender expects answered with ``answer`` (Slack's
    ``url_verification`` challenge): answered 200 with that JSON, nothing stored."""

    answer: dict[str, Any]
    kind: ClassVar[str] = "handshake"


Inbound = NewTicket | FollowUp | Ignored | Handshake | AgentReply | ChannelOutcome


# --- what an outbound call did --------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None  # seconds the vendor asked us to wait (429 Retry-After)
    vendor_ref: str | None = None  # id of what the vendor created (comment, part, thread)


@dataclass(frozen=True)
class EscalationTarget:
    """Where an escalated ticket goes: a vendor group/team id and tags to add.

    ``None`` fields fall back to the connector's settings (``DESKROUTE_<VENDOR>_ESCALATION_*``).
    """

    group: str | None = None
    tags: tuple[str, ...] = field(default=())


def conversation_id(reply: OutgoingReply) -> str:
    """The vendor conversation/ticket a reply goes to (a follow-up's own id is a message id)."""
    return reply.thread_id or reply.external_id


class Connector(ABC):
    """A channel: verifies and parses inbound webhooks, delivers replies, notes, escalations.

    A connector is built once at the edge (app factory, worker start, CLI) from its settings
    class and reused, so caches such as an OAuth token live as long as the process.
    """

    name: ClassVar[str] = "base"
    settings_class: ClassVar[type[BaseSettings] | None] = None
    #: True when delivering the same reply twice cannot reach the customer twice: every
    #: call for a ticket and kind carries the same id and the receiver drops a repeat (the
    #: generic hook's ``webhook-id``, e-mail's ``Message-ID``). A delivery cut off by a crash
    #: mid-call is then re-sent; otherwise it is left ``failed`` for an operator to check,
    #: never sent blindly a second time.
    idempotent_delivery: ClassVar[bool] = False
    #: True when ``parse`` only reads the body (no vendor API call, no large decoding): the
    #: API then verifies, parses and stores it together with the webhooks that arrive at the
    #: same time, on one thread. Otherwise each is parsed on a thread of its own first, so a
    #: slow vendor API holds up only its own webhook.
    parse_is_local: ClassVar[bool] = False

    @abstractmethod
    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """Raise ``SignatureError`` unless the raw body is authentic.

        Return the sender's message id when the channel has one (Standard Webhooks'
        ``webhook-id``): the API remembers it for the replay window, so a retried or replayed
        delivery is answered like the first and never processed twice. Read headers with
        ``connectors.webhook_auth`` (``require``, ``timestamp``, ``same``): anything malformed
        must be a ``SignatureError`` (401), never another exception (500).
        """

    @abstractmethod
    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        """Say what the event is. ``PayloadError`` when malformed, ``UpstreamError`` when a
        vendor call the parse needed failed.

        Parse JSON with ``connectors.payload.load_json`` (refuses NaN, huge integers, deep
        nesting, NUL). The API then checks the ticket against the store's columns and
        normalises its text (``router.intake.prepare_ticket``); a class attribute
        ``payload_fields`` (ticket field -> payload name) makes those 422s name your field.
        """

    @abstractmethod
    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        """Send the answer to the customer (public)."""

    @abstractmethod
    def note(self, reply: OutgoingReply) -> DeliveryResult:
        """Leave an internal note only agents see."""

    @abstractmethod
    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        """Hand the ticket to a human: internal note with the reasons, group/team, tags."""

    def suggest(self, reply: OutgoingReply) -> DeliveryResult:
        """Offer a draft to the agents (assist mode), never to the customer.

        An internal note unless the channel has a better place for it; ``reply.details``
        carries the draft and its context as data.
        """
        return self.note(reply)
