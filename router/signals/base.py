"""The signal detector interface, the registry of default detectors, and ``detect_signals``.

Signals are cheap, independent checks that policies combine: each detector looks at the
ticket text (and, when the classifier already computed it, the shared embedding) and either
says nothing or returns one :class:`~router.domain.Signal` whose reason is stored with the
decision. Detectors never load models at import and never do I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

from router.domain import Signal
from router.signals.anger import ANGER
from router.signals.human import HUMAN_REQUEST
from router.signals.injection import PROMPT_INJECTION
from router.signals.language import LanguageDetector
from router.signals.legal import CHARGEBACK, LEGAL_THREAT
from router.signals.length import LengthDetector
from router.signals.multi import MULTI_REQUEST
from router.signals.rules import RuleDetector
from router.signals.safety import SAFETY
from router.signals.security import ACCOUNT_SECURITY
from router.signals.settings import SignalSettings


@runtime_checkable
class SignalDetector(Protocol):
    """One risk check. ``detect`` returns ``None`` when the ticket does not show the risk."""

    @property
    def name(self) -> str: ...

    def detect(self, text: str, embedding: np.ndarray | None) -> Signal | None: ...


SIGNAL_NAMES: tuple[str, ...] = (
    "human_request",
    "legal_threat",
    "chargeback",
    "account_security",
    "safety",
    "anger",
    "prompt_injection",
    "multi_request",
    "unsupported_language",
    "too_long",
)


def build_detectors(settings: SignalSettings) -> tuple[SignalDetector, ...]:
    """The default detectors configured by ``settings``, in ``SIGNAL_NAMES`` order."""
    rules: tuple[RuleDetector, ...] = (
        HUMAN_REQUEST,
        LEGAL_THREAT,
        CHARGEBACK,
        ACCOUNT_SECURITY,
        SAFETY,
    )
    if not settings.use_embeddings:
        rules = tuple(_without_exemplars(rule) for rule in rules)
    return (
        *rules,
        ANGER,
        _without_exemplars(PROMPT_INJECTION) if not settings.use_embeddings else PROMPT_INJECTION,
        MULTI_REQUEST,
        LanguageDetector(
            supported=frozenset(settings.supported_languages),
            min_words=settings.min_language_words,
        ),
        LengthDetector(max_tokens=settings.max_tokens),
    )


def _without_exemplars(rule: RuleDetector) -> RuleDetector:
    return dataclasses.replace(rule, exemplars=None)


@lru_cache(maxsize=1)
def default_detectors() -> tuple[SignalDetector, ...]:
    """Detectors from the environment's settings, built once per process."""
    return build_detectors(SignalSettings())


def detect_signals(
    text: str,
    embedding: np.ndarray | None = None,
    *,
    detectors: Sequence[SignalDetector] | None = None,
) -> tuple[Signal, ...]:
    """Every signal the ticket raises, in detector order (empty when it looks routine).

    ``embedding`` is the ticket's L2-normalised vector from the shared encoder; without it
    the exemplar layer is skipped and only the regexes and counters run.
    """
    chosen = default_detectors() if detectors is None else detectors
    found = (detector.detect(text, embedding) for detector in chosen)
    return tuple(signal for signal in found if signal is not None)
