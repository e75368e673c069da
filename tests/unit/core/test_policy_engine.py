from __future__ import annotations

import pytest

from policies.engine import after_rejected_draft, evaluate
from policies.loader import load_policy
from policies.parse import PolicyError, parse_policy
from router.domain import ConversationContext, PolicyInput, Prediction, Route, Signal

POLICY = load_policy(None)


def _route(pred: Prediction, *, signals=(), llm=True, ctx=None, threshold=0.5, policy=POLICY):
    inp = PolicyInput(text="text", prediction=pred, signals=tuple(signals),
                      context=ctx or ConversationContext(), llm_available=llm)
    return evaluate(policy, inp, classifier_version="clf-1", threshold=threshold)


CONFIDENT = Prediction("order_status", 0.95, "shipping_time", 0.03)


def test_confident_routine_ticket_goes_to_the_local_model() -> None:
    d = _route(CONFIDENT)
    assert d.route is Route.SLM
    assert d.policy_name == "default" and len(d.policy_hash) == 16
    assert d.classifier_version == "clf-1"


def test_low_confidence_goes_to_llm_when_one_is_configured() -> None:
    d = _route(Prediction("order_status", 0.3), threshold=0.5)
    assert d.route is Route.LLM
    assert any("confidence 0.30 < 0.50" in r for r in d.reasons)


def test_low_confidence_reason_never_prints_two_equal_numbers() -> None:
    d = _route(Prediction("order_status", 0.8806), threshold=0.8821)
    assert "confidence 0.881 < 0.882" in d.reasons


def test_llm_route_becomes_human_without_a_hosted_llm() -> None:
    d = _route(Prediction("oos", 0.9), llm=False)
    assert d.route is Route.HUMAN
    assert "no hosted LLM configured" in d.reasons


@pytest.mark.parametrize("name", ["human_request", "legal_threat", "chargeback",
                                  "account_security", "safety", "anger", "prompt_injection"])
def test_each_risk_signal_escalates_to_a_human_even_when_confident(name: str) -> None:
    d = _route(CONFIDENT, signals=[Signal(name, 1.0, "matched")])
    assert d.route is Route.HUMAN
    assert any(name in r for r in d.reasons)


@pytest.mark.parametrize("name", ["multi_request", "unsupported_language", "too_long"])
def test_capability_signals_escalate_to_the_llm(name: str) -> None:
    assert _route(CONFIDENT, signals=[Signal(name, 1.0, "x")]).route is Route.LLM


def test_weak_signal_below_min_score_is_ignored() -> None:
    assert _route(CONFIDENT, signals=[Signal("anger", 0.1, "x")]).route is Route.SLM


def test_follow_up_on_human_escalation_stays_with_humans() -> None:
    ctx = ConversationContext(previous_route=Route.HUMAN, is_follow_up=True)
    assert _route(CONFIDENT, ctx=ctx).route is Route.HUMAN


def test_follow_up_from_someone_not_the_customer_goes_to_a_human_with_the_reason() -> None:
    ctx = ConversationContext(previous_route=Route.SLM, is_follow_up=True,
                              foreign_sender="bob@customer.example")
    d = _route(CONFIDENT, ctx=ctx)
    assert d.route is Route.HUMAN
    assert "sender bob@customer.example is not this conversation's customer" in d.reasons


def test_follow_up_saying_it_did_not_help_leaves_the_local_model() -> None:
    ctx = ConversationContext(previous_route=Route.SLM, is_follow_up=True, not_helped=True)
    assert _route(CONFIDENT, ctx=ctx).route is Route.LLM


def test_text_rule_forces_a_route() -> None:
    inp = PolicyInput(text="this is a GDPR data subject access request", prediction=CONFIDENT)
    d = evaluate(POLICY, inp, classifier_version="c", threshold=0.5)
    assert d.route is Route.HUMAN and any("gdpr_request" in r for r in d.reasons)


def test_routine_list_excludes_other_intents() -> None:
    p = parse_policy("routine_intents: [password_reset]\nmin_confidence: 0.2\n")
    assert _route(CONFIDENT, policy=p).route is Route.LLM
    assert _route(Prediction("password_reset", 0.9), policy=p).route is Route.SLM


def test_rejected_draft_goes_to_llm_or_human() -> None:
    assert after_rejected_draft(POLICY, llm_available=True) is Route.LLM
    assert after_rejected_draft(POLICY, llm_available=False) is Route.HUMAN


@pytest.mark.parametrize("text,field", [
    ("low_confidence_route: robot\n", "low_confidence_route"),
    ("escalate_signals: {anger: nowhere}\n", "escalate_signals.anger"),
    ("rules: [{name: r, pattern: '(', route: human}]\n", "rules[0].pattern"),
    ("min_confidence: high\n", "min_confidence"),
    ("- a\n- b\n", "mapping"),
])
def test_bad_policy_names_the_field(text: str, field: str) -> None:
    with pytest.raises(PolicyError, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(text)


def test_policy_hash_changes_with_content() -> None:
    assert parse_policy("name: a\n").hash != parse_policy("name: b\n").hash
