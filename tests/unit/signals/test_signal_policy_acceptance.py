"""Acceptance of issue 4, item 4: the shipped default policy escalates every risk signal.

A confident routine prediction is paired with each positive of each set, so only the signal
can move the ticket off the local model. Scores matter: the policy ignores signals scoring
below its ``signal_min_score``.
"""

from __future__ import annotations

import pytest

from policies.engine import evaluate
from policies.loader import load_policy
from router.domain import PolicyInput, Prediction, Route
from router.signals import SIGNAL_NAMES, SignalSettings, build_detectors, detect_signals
from router.signals.rules import RuleDetector
from tests.unit.signals.signal_sets import positives

CONFIDENT = Prediction(intent="order_status", confidence=0.99)


def long_ticket() -> str:
    return "My order arrived late and the box was damaged in transit. " * 100


@pytest.mark.parametrize("name", SIGNAL_NAMES)
def test_default_policy_escalates_each_raised_signal(name: str) -> None:
    policy = load_policy()
    detectors = build_detectors(SignalSettings(use_embeddings=False))
    texts = [long_ticket()] if name == "too_long" else list(positives(name, source=name))
    stayed_local = []
    for text in texts:
        signals = detect_signals(text, detectors=detectors)
        decision = evaluate(
            policy,
            PolicyInput(text=text, prediction=CONFIDENT, signals=signals, llm_available=True),
            classifier_version="test",
            threshold=0.5,
        )
        if name in {s.name for s in signals} and decision.route is Route.SLM:
            stayed_local.append((text, signals))
    assert not stayed_local, f"{name}: raised but answered locally: {stayed_local[:2]}"


def test_raised_signals_score_at_least_the_default_policy_minimum() -> None:
    minimum = load_policy().signal_min_score
    detectors = build_detectors(SignalSettings(use_embeddings=False))
    texts = [text for name in SIGNAL_NAMES for text in positives(name, source=name)]
    weak = [s for t in texts for s in detect_signals(t, detectors=detectors) if s.score < minimum]
    assert not weak, f"signals scoring under {minimum}: {weak[:3]}"


def test_exemplar_thresholds_are_at_least_the_default_policy_minimum() -> None:
    minimum = load_policy().signal_min_score
    for detector in build_detectors(SignalSettings()):
        if isinstance(detector, RuleDetector) and detector.exemplars is not None:
            assert detector.exemplars.threshold >= minimum, detector.name
