"""Deciding a route for a text: classifier + signals + policy. No store access."""

from __future__ import annotations

import time
from dataclasses import dataclass

from policies.engine import evaluate
from router.domain import ConversationContext, Decision, PolicyInput
from router.pipeline.services import Services


@dataclass(frozen=True)
class Routed:
    decision: Decision
    latency_ms: float


def route_text(
    services: Services, text: str, context: ConversationContext | None = None
) -> Routed:
    start = time.perf_counter()
    clf = services.classifier
    pred = clf.predict([text])[0]
    signals = _signals(services, text)
    inp = PolicyInput(
        text=text,
        prediction=pred,
        signals=signals,
        context=context or ConversationContext(),
        llm_available=services.llm_available,
    )
    decision = evaluate(
        services.policy,
        inp,
        classifier_version=clf.version,
        threshold=clf.intent_threshold(pred.intent),
    )
    return Routed(decision, (time.perf_counter() - start) * 1000)


def _signals(services: Services, text: str) -> tuple:  # type: ignore[type-arg]
    from router.signals.base import detect_signals

    embedding = None
    cached = getattr(services.classifier, "last_embedding", None)
    if callable(cached):
        embedding = cached(text)
    return detect_signals(text, embedding)
