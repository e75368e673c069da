"""Rollout modes in the policy: defaults, per-intent and per-channel resolution, validation,
and the mode stored with every decision (it is part of the policy text, so of its hash)."""

from __future__ import annotations

import pytest

from policies import DEFAULT_POLICY, PolicyError, parse_policy
from policies.engine import evaluate
from router.domain import Mode, PolicyInput, Prediction

BASE = "name: t\n"


def _policy(rollout: str):  # type: ignore[no-untyped-def]
    return parse_policy(BASE + rollout, source="t.yaml")


def test_new_installs_start_in_assist() -> None:
    shipped = parse_policy(DEFAULT_POLICY.read_text(encoding="utf-8"))
    assert shipped.rollout.mode is Mode.ASSIST
    assert parse_policy("name: bare\n").rollout.mode is Mode.ASSIST  # no rollout key at all
    assert shipped.rollout.mode_for("order_status", "email") is Mode.ASSIST


def test_intent_mode_overrides_the_policy_mode_and_channels_cap_it() -> None:
    p = _policy("rollout:\n  mode: assist\n  intents: {order_status: auto, refund: shadow}\n"
                "  channels: {slack: shadow, email: assist}\n")
    r = p.rollout
    assert r.mode_for("order_status") is Mode.AUTO
    assert r.mode_for("order_status", "web") is Mode.AUTO  # a channel without a cap
    assert r.mode_for("order_status", "email") is Mode.ASSIST  # capped
    assert r.mode_for("order_status", "slack") is Mode.SHADOW
    assert r.mode_for("refund", "email") is Mode.SHADOW  # a cap never raises a mode
    assert r.mode_for("password_reset") is Mode.ASSIST


@pytest.mark.parametrize("text, key", [
    ("rollout:\n  mode: autopilot\n", "rollout.mode"),
    ("rollout:\n  intents: {order_status: yes}\n", "rollout.intents.order_status"),
    ("rollout:\n  modes: auto\n", "rollout.modes"),
    ("rollout:\n  evidence: {min_drafts: 0}\n", "rollout.evidence.min_drafts"),
    ("rollout:\n  evidence: {min_lower_bound: 1.5}\n", "rollout.evidence.min_lower_bound"),
    ("rollout:\n  evidence: {min_draft: 5}\n", "rollout.evidence.min_draft"),
    ("rollout:\n  shadow_compare: {rate: 2}\n", "rollout.shadow_compare.rate"),
])
def test_bad_rollout_keys_are_refused_naming_the_key(text: str, key: str) -> None:
    with pytest.raises(PolicyError) as err:
        _policy(text)
    assert f"t.yaml:2: {key}:" in str(err.value) or f"t.yaml:3: {key}:" in str(err.value)


def test_misspelt_rollout_key_suggests_the_known_one() -> None:
    with pytest.raises(PolicyError, match="did you mean 'min_drafts'"):
        _policy("rollout:\n  evidence: {min_draft: 5}\n")


def test_the_decision_carries_the_mode_in_force_and_the_hash_changes_with_it() -> None:
    inp = PolicyInput(text="where is my order", prediction=Prediction("order_status", 0.99),
                      channel="email")
    assist = _policy("rollout: {mode: assist}\n")
    auto = _policy("rollout: {mode: assist, intents: {order_status: auto}}\n")
    d1 = evaluate(assist, inp, classifier_version="c", threshold=0.5)
    d2 = evaluate(auto, inp, classifier_version="c", threshold=0.5)
    assert (d1.mode, d2.mode) == (Mode.ASSIST, Mode.AUTO)
    assert d1.route == d2.route and d1.policy_hash != d2.policy_hash
    capped = evaluate(_policy("rollout: {intents: {order_status: auto}, channels: {email: "
                              "shadow}}\n"), inp, classifier_version="c", threshold=0.5)
    assert capped.mode is Mode.SHADOW
