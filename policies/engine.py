"""Policy evaluation: a pure function from plain inputs to a routing decision with reasons."""

from __future__ import annotations

from policies.model import Policy
from router.domain import Decision, PolicyInput, Route

_SEVERITY = {Route.SLM: 0, Route.LLM: 1, Route.HUMAN: 2}


def _stricter(a: Route, b: Route) -> Route:
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


def evaluate(policy: Policy, inp: PolicyInput, *, classifier_version: str,
             threshold: float) -> Decision:
    """Route one ticket. ``threshold`` is the classifier's calibrated one for the intent.

    Every rule that fires adds a reason; the strictest route wins (human > llm > slm), so a
    risk signal can never be outvoted by a confident classifier.
    """
    pred = inp.prediction
    route = Route.SLM
    reasons: list[str] = []

    def push(r: Route, why: str) -> None:
        nonlocal route
        route = _stricter(route, r)
        reasons.append(why)

    for sig in inp.signals:
        target = policy.signal_route(sig.name)
        if target is not None and sig.score >= policy.signal_min_score:
            push(target, f"signal {sig.name}: {sig.reason}")
    for rule in policy.rules:
        if rule.pattern.search(inp.text):
            push(rule.route, f"rule {rule.name} matched")
    ctx = inp.context
    if ctx.is_follow_up and ctx.previous_route is Route.HUMAN:
        push(policy.follow_up.after_escalation,
             "follow-up on an escalated ticket stays escalated")
    elif ctx.is_follow_up and ctx.previous_route is Route.LLM:
        push(Route.LLM, "follow-up on a ticket the hosted LLM answered")
    if ctx.is_follow_up and ctx.foreign_sender:  # never answered by a bot, whatever the policy
        push(Route.HUMAN, f"sender {ctx.foreign_sender} is not this conversation's customer")
    if ctx.is_follow_up and ctx.not_helped:
        push(policy.follow_up.not_helped, "follow-up says the previous answer did not help")
    if pred.intent == "oos":
        push(policy.out_of_scope_route, "out of scope for the local model")
    elif pred.intent in policy.human_intents:
        push(Route.HUMAN, f"intent {pred.intent} is handled by humans")
    elif pred.intent in policy.llm_intents:
        push(Route.LLM, f"intent {pred.intent} goes to the hosted LLM")
    elif policy.routine is not None and pred.intent not in policy.routine:
        push(policy.out_of_scope_route, f"intent {pred.intent} is not a routine intent")
    override = policy.confidence_override
    limit = override if override is not None else threshold
    if pred.confidence < limit:
        push(policy.low_confidence_route, f"confidence {_pair(pred.confidence, limit)}")
    if route is Route.SLM:
        reasons.append(f"routine intent {pred.intent} with confidence {pred.confidence:.2f}")
    if route is Route.LLM and not inp.llm_available:
        route = policy.no_llm_route
        reasons.append("no hosted LLM configured")
    return Decision(
        route=route,
        intent=pred.intent,
        confidence=pred.confidence,
        reasons=tuple(reasons),
        policy_name=policy.name,
        policy_hash=policy.hash,
        classifier_version=classifier_version,
        signals=inp.signals,
        runner_up=pred.runner_up,
        mode=policy.rollout.mode_for(pred.intent, inp.channel),
    )


def after_rejected_draft(policy: Policy, llm_available: bool) -> Route:
    """Where a draft the verifier rejected goes next."""
    route: Route = policy.rejected_draft_route
    if route is Route.LLM and not llm_available:
        return policy.no_llm_route
    return route


def _pair(value: float, limit: float) -> str:
    """``value < limit`` with enough decimals that the two never print as equal."""
    for digits in (2, 3, 4):
        if f"{value:.{digits}f}" != f"{limit:.{digits}f}":
            break
    return f"{value:.{digits}f} < {limit:.{digits}f}"
