"""Plain domain objects shared by the core, the connectors and the policies.

Nothing here does I/O: connectors and policies may import this module and nothing else
from the core, which keeps them testable without a database or a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Route(StrEnum):
    SLM = "slm"
    LLM = "llm"
    HUMAN = "human"


class Mode(StrEnum):
    """How far deskroute may act on a ticket (the rollout mode; see README "Rolling out").

    ``shadow``: decide and draft, store, send nothing; ``assist``: post the draft to the agent
    as an internal note; ``auto``: reply to the customer. Ordered from most to least cautious.
    """

    SHADOW = "shadow"
    ASSIST = "assist"
    AUTO = "auto"

    @property
    def rank(self) -> int:
        """0 = most cautious: a channel's mode caps an intent's with ``min(.., key=rank)``."""
        return _MODE_RANK[self]


_MODE_RANK = {Mode.SHADOW: 0, Mode.ASSIST: 1, Mode.AUTO: 2}


class FeedbackKind(StrEnum):
    """What an agent did with a draft deskroute suggested (router/rollout/feedback.py)."""

    SENT_AS_IS = "sent_as_is"  # the agent's public reply is the draft
    EDITED = "edited"  # the draft with light edits
    REWRITTEN = "rewritten"  # the same answer in the agent's own words
    IGNORED = "ignored"  # no reply, or a reply that does not use the draft


#: The drafts an agent could send with (almost) no work: what earns an intent ``auto``.
USABLE_FEEDBACK = frozenset({FeedbackKind.SENT_AS_IS, FeedbackKind.EDITED})


class TicketState(StrEnum):
    """Where a ticket is; router/pipeline/workflow.py says which task acts on each state."""

    RECEIVED = "received"
    DECIDED = "decided"
    DRAFTED = "drafted"
    ESCALATING = "escalating"  # a human is needed (``reason`` says why): the note is on its way
    DELIVERED = "delivered"
    ESCALATED = "escalated"
    FAILED = "failed"
    SHADOWED = "shadowed"  # shadow mode: decided and drafted, nothing sent
    ASSISTED = "assisted"  # assist mode: the draft was posted to the agents, not the customer


TERMINAL_STATES = frozenset({TicketState.DELIVERED, TicketState.ESCALATED, TicketState.FAILED,
                             TicketState.SHADOWED, TicketState.ASSISTED})


class OutcomeKind(StrEnum):
    """What happened after deskroute answered (recorded by ``router.outcomes.record_outcome``).

    Here rather than in ``router.outcomes`` so connectors, which import only this module, can
    describe the events their channel reports.
    """

    RESOLVED = "resolved"  # confirmed: the customer or the helpdesk closed it as solved
    REOPENED = "reopened"  # the customer came back on a resolved conversation
    NOT_HELPFUL = "not_helpful"  # "that did not help" (a follow-up, a thumbs-down)
    AGENT_EDIT = "agent_edit"  # an agent changed the reply (value: share of text changed)
    AGENT_OVERRIDE = "agent_override"  # an agent discarded the reply and wrote their own
    HUMAN_ESCALATION = "human_escalation"  # a person took the ticket over after the answer
    CSAT = "csat"  # satisfaction rating, value on CSAT_SCALE
    #: an agent's own public reply (its text in ``note``), compared with the draft deskroute
    #: offered in assist or kept in shadow (router/rollout/judging.py)
    AGENT_REPLY = "agent_reply"


#: Customer satisfaction is recorded on 1 (very unsatisfied) … 5 (very satisfied); connectors
#: map their channel's scale onto it (a good/bad rating becomes 5/1).
CSAT_SCALE = (1, 5)

#: Any of these means the automated answer was not good enough as sent: the ticket is not
#: assumed resolved, and a local answer with one of them does not count as accurate.
NEGATIVE_OUTCOMES = frozenset({
    OutcomeKind.REOPENED, OutcomeKind.NOT_HELPFUL, OutcomeKind.AGENT_EDIT,
    OutcomeKind.AGENT_OVERRIDE, OutcomeKind.HUMAN_ESCALATION,
})

#: These undo a confirmation: a ticket is *confirmed resolved* only when a ``resolved`` outcome
#: was recorded after the last of them.
REOPENING_OUTCOMES = frozenset({OutcomeKind.REOPENED, OutcomeKind.NOT_HELPFUL})

#: A person spent time on an automatically answered ticket (counted as human handling cost).
HUMAN_WORK_OUTCOMES = frozenset({
    OutcomeKind.AGENT_EDIT, OutcomeKind.AGENT_OVERRIDE, OutcomeKind.HUMAN_ESCALATION,
})


# The canonical list of risk signals lives here, not in router/signals, because policies (which
# may import only this module) validate their ``escalate_signals`` keys against it.
class SignalName(StrEnum):
    """A risk signal raised by the detectors in router/signals (in registry order)."""

    HUMAN_REQUEST = "human_request"
    LEGAL_THREAT = "legal_threat"
    CHARGEBACK = "chargeback"
    ACCOUNT_SECURITY = "account_security"
    SAFETY = "safety"
    ANGER = "anger"
    PROMPT_INJECTION = "prompt_injection"
    MULTI_REQUEST = "multi_request"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    TOO_LONG = "too_long"


SIGNAL_NAMES: tuple[str, ...] = tuple(s.value for s in SignalName)


@dataclass(frozen=True)
class InboundTicket:
    """A ticket as a connector parsed it, before it is stored."""

    source: str
    external_id: str
    body: str
    channel: str = "generic"
    subject: str = ""
    requester: str | None = None
    language: str | None = None
    thread_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Subject and body as the classifier and the models see them."""
        return f"{self.subject}\n{self.body}".strip() if self.subject else self.body.strip()


@dataclass(frozen=True)
class Prediction:
    """What a classifier says about one ticket text."""

    intent: str
    confidence: float
    runner_up: str | None = None
    runner_up_confidence: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    """A cheap risk signal raised on a ticket (asks for a human, legal threat, ...)."""

    name: str
    score: float
    reason: str


@dataclass(frozen=True)
class ConversationContext:
    """What the router knows about earlier tickets in the same thread."""

    previous_route: Route | None = None
    previous_state: TicketState | None = None
    is_follow_up: bool = False
    not_helped: bool = False
    #: the follow-up's sender when it is not the conversation's customer (an e-mail thread's
    #: first requester): someone else in the thread, whom no bot may answer
    foreign_sender: str | None = None


@dataclass(frozen=True)
class PolicyInput:
    text: str
    prediction: Prediction
    signals: tuple[Signal, ...] = ()
    context: ConversationContext = field(default_factory=ConversationContext)
    llm_available: bool = False
    channel: str | None = None  # the ticket's channel: the rollout mode may depend on it


@dataclass(frozen=True)
class Decision:
    route: Route
    intent: str
    confidence: float
    reasons: tuple[str, ...]
    policy_name: str
    policy_hash: str
    classifier_version: str
    signals: tuple[Signal, ...] = ()
    runner_up: str | None = None
    mode: Mode = Mode.ASSIST  # the rollout mode in force (part of the policy, so of its hash)


@dataclass(frozen=True)
class Draft:
    """A generated answer, local or hosted, with what it cost."""

    backend: str
    model: str
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The verifier's judgement of a draft: the reasons not to send it, and a score.

    ``accepted`` is derived from ``reasons`` (no reason, accepted), so a verdict cannot say
    accepted while listing a reason to reject; there is no way to pass it in.
    """

    score: float
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.score, bool) or not isinstance(self.score, int | float):
            raise TypeError(f"Verdict.score must be a number, not {self.score!r}")
        if not isinstance(self.reasons, tuple) or not all(
                isinstance(r, str) and r for r in self.reasons):
            raise TypeError("Verdict.reasons must be a tuple of non-empty strings")

    @property
    def accepted(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class OutgoingReply:
    """What the core asks a connector to deliver."""

    ticket_id: int
    external_id: str
    text: str
    kind: str  # "reply", "escalation" or "draft" (assist mode: offered to the agents)
    reason: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    thread_id: str | None = None  # the vendor conversation a follow-up belongs to
    #: a draft's context as data (route, intent, confidence, signals, approved answers):
    #: ``text`` is the note agents read, this is for channels that take structured events
    details: dict[str, Any] = field(default_factory=dict)
