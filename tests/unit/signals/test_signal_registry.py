"""The registry, ``detect_signals``, the settings, and the exemplar layer with a fake encoder.

The fake encoder maps each known phrase to a fixed unit vector, so similarity is exact and the
tests say precisely when the embedding layer must and must not fire.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from pydantic import ValidationError

from router.domain import Signal
from router.signals import (
    SIGNAL_NAMES,
    SignalDetector,
    SignalSettings,
    build_detectors,
    detect_signals,
)
from router.signals.human import HUMAN_REQUEST
from router.signals.rules import ExemplarBank, RuleDetector, any_of
from tests.unit.signals.signal_sets import read_set

DEFAULTS = build_detectors(SignalSettings())


def test_default_detectors_cover_every_signal_in_order() -> None:
    detectors = DEFAULTS
    assert tuple(d.name for d in detectors) == SIGNAL_NAMES
    assert all(isinstance(d, SignalDetector) for d in detectors)


def test_detect_signals_returns_an_empty_tuple_for_a_routine_ticket() -> None:
    assert detect_signals("Where is my order?", detectors=DEFAULTS) == ()


def test_detect_signals_returns_every_raised_signal_in_registry_order() -> None:
    found = detect_signals("I WILL SUE YOU, this is the worst bank ever. Get me a manager now!",
                           detectors=DEFAULTS)
    assert [s.name for s in found] == ["human_request", "legal_threat", "anger"]
    assert all(isinstance(s, Signal) and s.reason for s in found)


def test_detect_signals_uses_the_detectors_it_is_given() -> None:
    class Always:
        name = "always"

        def detect(self, text: str, embedding: np.ndarray | None) -> Signal | None:
            return Signal(self.name, 0.5, f"saw {len(text)} chars")

    assert detect_signals("hi", detectors=[Always()]) == (Signal("always", 0.5, "saw 2 chars"),)


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_SIGNALS_MAX_TOKENS", "50")
    monkeypatch.setenv("DESKROUTE_SIGNALS_SUPPORTED_LANGUAGES", '["EN", "es"]')
    settings = SignalSettings()
    assert settings.max_tokens == 50 and settings.supported_languages == ["en", "es"]
    detectors = {d.name: d for d in build_detectors(settings)}
    assert detectors["too_long"].detect("word " * 60, None) is not None
    spanish = "Hola, quiero cancelar mi pedido por favor."
    assert detectors["unsupported_language"].detect(spanish, None) is None


@pytest.mark.parametrize(
    "field, value", [("supported_languages", []), ("max_tokens", 0), ("min_language_words", -1)]
)
def test_settings_refuse_values_that_would_disable_a_signal(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        SignalSettings(**{field: value})  # type: ignore[arg-type]


def test_patterns_are_lower_case_because_they_see_lower_cased_text() -> None:
    for detector in build_detectors(SignalSettings()):
        for pattern in getattr(detector, "patterns", ()):
            literal = re.sub(r"\\.", "", pattern.pattern)
            assert not re.search(r"[A-Z]", literal), f"{detector.name}: {pattern.pattern[:80]}"


class FakeEncoder:
    """Known phrases map to fixed unit vectors; counts calls to prove laziness and caching."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors
        self.calls = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32)


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def toy_detector(encoder: FakeEncoder, threshold: float = 0.8) -> RuleDetector:
    bank = ExemplarBank(("a person please", "no bots"), threshold, encoder)
    return RuleDetector("human_request", "asks for a human", (any_of(r"\bhuman\b"),), bank)


def test_exemplar_layer_fires_on_a_close_embedding_and_says_which_exemplar() -> None:
    encoder = FakeEncoder({"a person please": unit(1, 0, 0), "no bots": unit(0, 1, 0)})
    signal = toy_detector(encoder).detect("someone real, thanks", unit(0.95, 0.1, 0.1))
    assert signal is not None
    assert signal.reason.startswith("asks for a human: close to 'a person please' (cosine 0.99")
    assert 0.98 < signal.score <= 1.0


def test_exemplar_layer_stays_silent_below_its_threshold() -> None:
    encoder = FakeEncoder({"a person please": unit(1, 0, 0), "no bots": unit(0, 1, 0)})
    assert toy_detector(encoder).detect("where is my order", unit(0.5, 0.5, 0.7)) is None


def test_exemplars_are_encoded_lazily_and_once() -> None:
    encoder = FakeEncoder({"a person please": unit(1, 0, 0), "no bots": unit(0, 1, 0)})
    detector = toy_detector(encoder)
    detector.detect("a human", unit(0, 0, 1))  # the regex answers: no encoding needed
    assert encoder.calls == 0
    for _ in range(3):
        detector.detect("hello", unit(0, 0, 1))
    assert encoder.calls == 1


def test_without_an_embedding_only_the_regex_layer_runs() -> None:
    encoder = FakeEncoder({})
    assert toy_detector(encoder).detect("someone real", None) is None
    assert encoder.calls == 0


def test_use_embeddings_false_drops_the_exemplar_layer() -> None:
    detectors = build_detectors(SignalSettings(use_embeddings=False))
    assert all(getattr(d, "exemplars", None) is None for d in detectors)
    assert HUMAN_REQUEST.exemplars is not None  # the shared default is untouched


def test_detect_signals_costs_well_under_a_millisecond_per_routine_ticket() -> None:
    texts = [row.text for row in read_set("routine")]
    detectors = build_detectors(SignalSettings(use_embeddings=False))
    start = time.perf_counter()
    for text in texts:
        detect_signals(text, detectors=detectors)
    per_ticket_us = (time.perf_counter() - start) * 1e6 / len(texts)
    # measured ~60 us here; 1000 us leaves room for a busy shared 2-core machine
    assert per_ticket_us < 1000, f"{per_ticket_us:.0f} us per ticket"


def test_an_embedding_from_another_encoder_is_refused_with_a_clear_error() -> None:
    encoder = FakeEncoder({"a person please": unit(1, 0, 0), "no bots": unit(0, 1, 0)})
    with pytest.raises(ValueError, match="shared encoder"):
        toy_detector(encoder).detect("hello", unit(1, 0, 0, 0))


def test_detectors_for_another_encoder_embed_their_exemplars_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fine-tuned classifier's vectors must meet exemplars embedded by that same encoder."""
    asked: list[str | None] = []

    def fake_encode_with(encoder: str | None, texts: list[str]) -> np.ndarray:
        asked.append(encoder)
        return np.tile(unit(1, 0, 0), (len(texts), 1))

    monkeypatch.setattr("router.signals.rules.encode_with", fake_encode_with)
    monkeypatch.setattr("router.signals.base.encode_with", fake_encode_with)
    detectors = build_detectors(SignalSettings(), encoder="/models/tuned")
    human = next(d for d in detectors if d.name == "human_request")
    signal = human.detect("hello there", unit(1, 0, 0))
    assert signal is not None and "cosine 1.00" in signal.reason
    assert asked == ["/models/tuned"]
    assert HUMAN_REQUEST.exemplars is not None and human.exemplars is not None
    assert HUMAN_REQUEST.exemplars.encode is not human.exemplars.encode  # default untouched
