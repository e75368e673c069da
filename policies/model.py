"""The policy file's schema: a strict, typed model, so a typo is an error and not a silent default.

A policy decides what a customer receives, so a misspelt key (``escalate_signal:``) must not
load as "no signals escalate". Every key is known (``extra="forbid"``), routes and signal names
are enums, numbers have bounds and regular expressions are compiled when the file is read. The
JSON Schema of :class:`Policy` is published as ``docs/policy.schema.json`` so editors validate
policies as they are written.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
)

from router.domain import Mode, Route, SignalName


def _compile(value: Any) -> re.Pattern[str]:
    """Rules match case-insensitively; a bad expression is refused when the file is read."""
    if isinstance(value, re.Pattern):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError("a regular expression must be a non-empty string")
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"bad regular expression: {exc}") from exc


Regex = Annotated[
    re.Pattern[str],
    PlainValidator(_compile),
    PlainSerializer(lambda p: p.pattern, return_type=str),
    WithJsonSchema({"type": "string", "format": "regex",
                    "description": "A Python regular expression, matched case-insensitively."}),
]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
IntentName = Annotated[str, Field(min_length=1, max_length=128)]
# Routes a ticket can be *sent on to*: sending a risk "to the local model" would change nothing
# (the strictest route wins), so only the escalation routes are accepted where one is meant.
EscalationRoute = Literal[Route.LLM, Route.HUMAN]
NoLLMRoute = Literal[Route.SLM, Route.HUMAN]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextRule(_Strict):
    """A regular expression that, when it matches the ticket text, forces a route."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                      description="Shown in the decision's reasons: 'rule NAME matched'.")
    pattern: Regex
    route: EscalationRoute


class FollowUp(_Strict):
    """Where follow-ups in a thread go."""

    after_escalation: EscalationRoute = Field(
        default=Route.HUMAN, description="A follow-up on a ticket that ended with a person.")
    not_helped: EscalationRoute = Field(
        default=Route.LLM, description="A follow-up saying the previous answer did not help.")


class Evidence(_Strict):
    """When the promotion report recommends ``auto`` for an intent (``deskroute report
    --promotion``): enough drafts, and a share the agents sent as-is or lightly edited whose
    Wilson lower bound clears the bar."""

    min_drafts: int = Field(default=50, ge=1, le=1_000_000,
                            description="Settled drafts an intent needs before any promotion.")
    min_lower_bound: Score = Field(
        default=0.9, description="Lower confidence bound of the usable share (sent as-is or "
        "lightly edited) needed for 'promote to auto'.")
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0,
                              description="Confidence level of the Wilson bound.")
    llm_margin: Score = Field(
        default=0.1, description="Recommend the hosted LLM for an intent when its usable share "
        "beats the local model's by at least this much (from the shadow comparison).")
    settle_hours: float = Field(
        default=72.0, ge=0, le=24 * 365,
        description="A draft no agent reply matched after this many hours counts as ignored.")


class ShadowCompare(_Strict):
    """Draft a sample of locally answered tickets with the hosted LLM too (never sent), so the
    quality gap per intent is measured before anything is switched."""

    rate: Score = Field(default=0.0, description="Share of local drafts also drafted by the "
                        "hosted LLM (0 = off).")
    budget_usd_per_day: float = Field(default=1.0, ge=0, le=1_000_000,
                                      description="Hosted spend on comparison drafts per UTC day; "
                                      "none once it is reached.")
    intents: tuple[IntentName, ...] = Field(default=(),
                                            description="Only these intents; empty = every one.")


class Rollout(_Strict):
    """How far deskroute may act, per intent and channel (see README "Rolling out").

    ``shadow`` drafts and stores, sends nothing; ``assist`` posts the draft as an internal note
    for the agent; ``auto`` replies. An intent's mode (or ``mode`` when it has none) applies,
    capped by its channel's: a channel in ``shadow`` sends nothing whatever the intent says.
    """

    mode: Mode = Field(default=Mode.ASSIST, description="Every intent without its own mode.")
    intents: dict[IntentName, Mode] = Field(default_factory=dict,
                                            description="Intent -> mode (promotions write here).")
    channels: dict[Annotated[str, Field(min_length=1, max_length=32)], Mode] = Field(
        default_factory=dict, description="Channel -> the most a ticket from it may do.")
    evidence: Evidence = Evidence()
    shadow_compare: ShadowCompare = ShadowCompare()

    def mode_for(self, intent: str, channel: str | None = None) -> Mode:
        """The mode in force for a ticket of ``intent`` arriving on ``channel``."""
        mode = self.intents.get(intent, self.mode)
        cap = self.channels.get(channel) if channel else None
        return mode if cap is None or mode.rank <= cap.rank else cap


class Policy(_Strict):
    """A routing policy (see ``policies/default.yaml`` for every key with its meaning)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True,
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema",
                           "title": "deskroute policy"},
    )

    name: str = Field(default="policy", min_length=1, max_length=128,
                      description="Stored with every decision (with the content hash).")
    version: int = Field(default=1, ge=1)
    routine_intents: Literal["all"] | tuple[IntentName, ...] = Field(
        default="all", description="Intents the local model may answer; 'all' = every intent the "
        "classifier knows.")
    min_confidence: Literal["calibrated"] | Score = Field(
        default="calibrated",
        description="'calibrated' uses the classifier's calibrated thresholds (global and per "
        "intent); a number in [0, 1] overrides them.")
    low_confidence_route: EscalationRoute = Route.LLM
    out_of_scope_route: EscalationRoute = Route.LLM
    rejected_draft_route: EscalationRoute = Field(
        default=Route.LLM,
        description="Where a ticket goes when the verifier rejects the local draft.")
    no_llm_route: NoLLMRoute = Field(
        default=Route.HUMAN,
        description="Where an 'llm' route goes when no hosted LLM is configured.")
    llm_intents: tuple[IntentName, ...] = Field(default=(),
                                                description="Always skip the local model.")
    human_intents: tuple[IntentName, ...] = Field(default=(),
                                                  description="Always go to a person.")
    signal_min_score: Score = Field(default=0.5, description="Signals scoring lower are ignored.")
    escalate_signals: dict[SignalName, EscalationRoute] = Field(
        default_factory=dict, description="Risk signal -> where it sends the ticket.")
    follow_up: FollowUp = FollowUp()  # frozen, so one shared default is safe
    rules: tuple[TextRule, ...] = ()
    rollout: Rollout = Rollout()

    _hash: str = PrivateAttr("")

    @field_validator("min_confidence", mode="before")
    @classmethod
    def _confidence(cls, value: Any) -> Any:
        """One clear message instead of one per branch of the union."""
        if value == "calibrated":
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"must be a number in [0, 1] or 'calibrated', got {value!r}")
        return value

    @field_validator("routine_intents", mode="before")
    @classmethod
    def _routine(cls, value: Any) -> Any:
        if value == "all" or (isinstance(value, list | tuple)
                              and all(isinstance(v, str) for v in value)):
            return value
        raise ValueError(f"must be 'all' or a list of intent names, got {value!r}")

    @field_validator("rules")
    @classmethod
    def _unique_rule_names(cls, rules: tuple[TextRule, ...]) -> tuple[TextRule, ...]:
        names = [r.name for r in rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(dupes)}")
        return rules

    # --- what the engine reads ---------------------------------------------------------------
    @property
    def hash(self) -> str:
        """First 16 hex digits of the SHA-256 of the file's text, stored on every decision."""
        return self._hash

    @property
    def routine(self) -> frozenset[str] | None:
        """Intents the local model may answer; None = every intent the classifier knows."""
        return None if self.routine_intents == "all" else frozenset(self.routine_intents)

    @property
    def confidence_override(self) -> float | None:
        """None = use the classifier's calibrated thresholds."""
        return None if self.min_confidence == "calibrated" else float(self.min_confidence)

    def signal_route(self, name: str) -> Route | None:
        """Where signal ``name`` sends a ticket; None when this policy does not escalate it."""
        try:
            return self.escalate_signals.get(SignalName(name))
        except ValueError:  # a signal this version does not know cannot be configured either
            return None



def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def schema_json() -> str:
    """The JSON Schema published as ``docs/policy.schema.json`` (editors validate with it)."""
    return json.dumps(Policy.model_json_schema(), indent=2, sort_keys=False) + "\n"
