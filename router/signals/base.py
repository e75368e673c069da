"""The signal detector interface, the registry of default detectors, and ``detect_signals``.

Signals are cheap, independent checks that policies combine: each detector looks at the
ticket text (and, when the classifier already computed it, the shared embedding) and either
says nothing or returns one :class:`~router.domain.Signal` whose reason is stored with the
decision. Detectors never load models at import and never do I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import partial
from typing import Protocol, runtime_checkable

import numpy as np

from router.domain import SIGNAL_NAMES, Signal
from router.signals.anger import ANGER
from router.signals.human import HUMAN_REQUEST
from router.signals.injection import PROMPT_INJECTION
from router.signals.language import LanguageDetector
from router.signals.legal import CHARGEBACK, LEGAL_THREAT
from router.signals.length import LengthDetector
from router.signals.multi import MULTI_REQUEST
from router.signals.rules import RuleDetector, encode_with
from router.signals.safety import SAFETY
from router.signals.security import ACCOUNT_SECURITY
from router.signals.settings import SignalSettings


@runtime_checkable
class SignalDetector(Protocol):
    """One risk check. ``detect`` returns ``None`` when the ticket does not show the risk."""

    @property
    def name(self) -> str: ...

    def detect(self, text: str, embedding: np.ndarray | None) -> Signal | None: ...


__all__ = ["SIGNAL_NAMES", "SignalDetector", "build_detectors", "detect_signals"]


def build_detectors(
    settings: SignalSettings, encoder: str | None = None
) -> tuple[SignalDetector, ...]:
    """The default detectors configured by ``settings``, in ``SIGNAL_NAMES`` order.

    ``encoder`` is the encoder whose vectors the detectors will get (a classifier's fine-tuned
    encoder, say); the exemplars are then embedded with that same encoder. None = the shared
    default encoder.
    """
    rules: tuple[RuleDetector, ...] = (
        HUMAN_REQUEST,
        LEGAL_THREAT,
        CHARGEBACK,
        ACCOUNT_SECURITY,
        SAFETY,
        PROMPT_INJECTION,
    )
    if not settings.use_embeddings:
        rules = tuple(_without_exemplars(rule) for rule in rules)
    elif encoder is not None:
        rules = tuple(_with_encoder(rule, encoder) for rule in rules)
    return (
        *rules[:5],
        ANGER,
        rules[5],
        MULTI_REQUEST,
        LanguageDetector(
            supported=frozenset(settings.supported_languages),
            min_words=settings.min_language_words,
        ),
        LengthDetector(max_tokens=settings.max_tokens),
    )


def _without_exemplars(rule: RuleDetector) -> RuleDetector:
    return dataclasses.replace(rule, exemplars=None)


def _with_encoder(rule: RuleDetector, encoder: str) -> RuleDetector:
    if rule.exemplars is None:
        return rule
    bank = dataclasses.replace(rule.exemplars, encode=partial(encode_with, encoder))
    return dataclasses.replace(rule, exemplars=bank)


def detect_signals(
    text: str,
    embedding: np.ndarray | None = None,
    *,
    detectors: Sequence[SignalDetector],
) -> tuple[Signal, ...]:
    """Every signal the ticket raises, in detector order (empty when it looks routine).

    ``embedding`` is the ticket's L2-normalised vector; without it the exemplar layer is
    skipped and only the regexes and counters run. ``detectors``: :func:`build_detectors`
    of the process's settings, for the encoder that made ``embedding`` (``Services.detectors``
    builds them once per process).
    """
    found = (detector.detect(text, embedding) for detector in detectors)
    return tuple(signal for signal in found if signal is not None)
