"""Deciding a route for a text: classifier + signals + policy. No store access."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from policies.engine import evaluate
from router.domain import ConversationContext, Decision, PolicyInput, Prediction, Signal
from router.guard.normalize import normalize_text
from router.pipeline.services import Services


@dataclass(frozen=True)
class Routed:
    decision: Decision
    latency_ms: float


def route_text(
    services: Services, text: str, context: ConversationContext | None = None,
    channel: str | None = None,
) -> Routed:
    """``channel``: the ticket's, which may cap the rollout mode (policy ``rollout.channels``)."""
    start = time.perf_counter()
    text = normalize_text(text)  # classifier and signals read what redaction reads
    pred, embedding = _predict(services, [text])
    decision = _decide(services, text, pred[0], embedding[0] if embedding is not None else None,
                       context, channel)
    return Routed(decision, (time.perf_counter() - start) * 1000)


def _predict(services: Services, texts: Sequence[str]):  # type: ignore[no-untyped-def]
    """Predictions plus the sentence embeddings, so a ticket is encoded once.

    The risk signals compare the embedding with exemplars embedded by the same encoder (the
    classifier's, fine-tuned or not: see ``signal_encoder``).
    """
    from router.classify.embedder import get_encoder

    clf = services.classifier
    on_embeddings = getattr(clf, "predict_embeddings", None)
    encoder_name = getattr(clf, "encoder_name", None)
    if not callable(on_embeddings) or not encoder_name:
        return clf.predict(texts), None
    x = get_encoder(encoder_name).encode(list(texts))
    return on_embeddings(x, texts), x


def signal_encoder(services: Services) -> str | None:
    """The encoder the signals' exemplars must be embedded with: None = the shared default."""
    name = getattr(services.classifier, "encoder_name", None)
    return _signal_encoder_for(str(name)) if name else None


@lru_cache(maxsize=8)
def _signal_encoder_for(name: str) -> str | None:
    """Resolved once per encoder name: routing asks for every ticket."""
    from router.classify.embedder import same_encoder

    return None if same_encoder(name, None) else name


def _decide(services: Services, text: str, pred: Prediction, embedding, context,  # type: ignore[no-untyped-def]
            channel: str | None = None):
    from router.signals.base import detect_signals

    signals: tuple[Signal, ...] = detect_signals(text, embedding, detectors=services.detectors(
        signal_encoder(services) if embedding is not None else None))
    inp = PolicyInput(
        text=text,
        prediction=pred,
        signals=signals,
        context=context or ConversationContext(),
        llm_available=services.llm_available,
        channel=channel,
    )
    clf = services.classifier
    return evaluate(services.policy, inp, classifier_version=clf.version,
                    threshold=clf.intent_threshold(pred.intent))
