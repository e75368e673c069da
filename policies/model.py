"""The policy as plain data, parsed from YAML text, with a content hash stored on decisions."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from router.domain import Route

ROUTES = {r.value for r in Route}


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the field."""


@dataclass(frozen=True)
class TextRule:
    name: str
    pattern: re.Pattern[str]
    route: Route


@dataclass(frozen=True)
class Policy:
    name: str
    hash: str
    routine_intents: frozenset[str] | None  # None = every intent the classifier knows
    min_confidence: float | None  # None = use the classifier's calibrated thresholds
    low_confidence_route: Route
    out_of_scope_route: Route
    rejected_draft_route: Route
    no_llm_route: Route
    llm_intents: frozenset[str] = frozenset()
    human_intents: frozenset[str] = frozenset()
    signal_routes: dict[str, Route] = field(default_factory=dict)
    signal_min_score: float = 0.5
    rules: tuple[TextRule, ...] = ()
    follow_up_after_escalation: Route = Route.HUMAN
    follow_up_not_helped: Route = Route.LLM


def _route(value: Any, where: str) -> Route:
    if value not in ROUTES:
        raise PolicyError(f"{where}: route must be one of {sorted(ROUTES)}, got {value!r}")
    return Route(value)


def _names(value: Any, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}: expected a list of names")
    return frozenset(value)


def parse_policy(text: str, *, default_name: str = "policy") -> Policy:
    """Parse YAML policy text; every error names the offending field."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyError("a policy must be a YAML mapping")
    routine = raw.get("routine_intents", "all")
    min_conf = raw.get("min_confidence", "calibrated")
    if min_conf != "calibrated" and not isinstance(min_conf, int | float):
        raise PolicyError("min_confidence: a number in [0, 1] or 'calibrated'")
    signals = raw.get("escalate_signals") or {}
    if not isinstance(signals, dict):
        raise PolicyError("escalate_signals: expected a mapping of signal name to route")
    follow = raw.get("follow_up") or {}
    rules = []
    for i, r in enumerate(raw.get("rules") or []):
        if not isinstance(r, dict) or "pattern" not in r or "route" not in r:
            raise PolicyError(f"rules[{i}]: needs 'pattern' and 'route'")
        try:
            pattern = re.compile(str(r["pattern"]), re.IGNORECASE)
        except re.error as exc:
            raise PolicyError(f"rules[{i}].pattern: {exc}") from exc
        route = _route(r["route"], f"rules[{i}]")
        rules.append(TextRule(str(r.get("name", f"rule_{i}")), pattern, route))
    return Policy(
        name=str(raw.get("name", default_name)),
        hash=hashlib.sha256(text.encode()).hexdigest()[:16],
        routine_intents=None if routine == "all" else _names(routine, "routine_intents"),
        min_confidence=None if min_conf == "calibrated" else float(min_conf),
        low_confidence_route=_route(raw.get("low_confidence_route", "llm"), "low_confidence_route"),
        out_of_scope_route=_route(raw.get("out_of_scope_route", "llm"), "out_of_scope_route"),
        rejected_draft_route=_route(raw.get("rejected_draft_route", "llm"), "rejected_draft_route"),
        no_llm_route=_route(raw.get("no_llm_route", "human"), "no_llm_route"),
        llm_intents=_names(raw.get("llm_intents"), "llm_intents"),
        human_intents=_names(raw.get("human_intents"), "human_intents"),
        signal_routes={str(k): _route(v, f"escalate_signals.{k}") for k, v in signals.items()},
        signal_min_score=float(raw.get("signal_min_score", 0.5)),
        rules=tuple(rules),
        follow_up_after_escalation=_route(
            follow.get("after_escalation", "human"), "follow_up.after_escalation"
        ),
        follow_up_not_helped=_route(follow.get("not_helped", "llm"), "follow_up.not_helped"),
    )
