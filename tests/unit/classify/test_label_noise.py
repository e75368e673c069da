"""Suspect labels: both witnesses (confident model, nearest neighbours) must contradict a label."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from router.classify.label_noise import suspect_labels
from router.classify.training import train_classifier


def _clusters(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two tight clusters of unit vectors, 'a' and 'b', n rows each."""
    centres = np.eye(8)[:2]
    x = np.vstack([c + 0.05 * rng.standard_normal((n, 8)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.array(["a"] * n + ["b"] * n, dtype=object)


def test_a_row_inside_the_other_cluster_is_suspect_only_if_the_model_is_confident() -> None:
    x, labels = _clusters(np.random.default_rng(0), 30)
    labels[3] = "b"  # an 'a' text labelled 'b'
    predicted = np.array(["a"] * 30 + ["b"] * 30, dtype=object)
    confidence = np.full(60, 0.95)
    flag = suspect_labels(x, labels, predicted, confidence)
    assert flag.tolist() == [i == 3 for i in range(60)]
    confidence[3] = 0.6  # the model hesitates: not enough to doubt the label
    assert not suspect_labels(x, labels, predicted, confidence).any()


def test_a_confident_mistake_among_its_own_label_is_not_suspect() -> None:
    x, labels = _clusters(np.random.default_rng(1), 30)
    predicted = labels.copy()
    predicted[5] = "b"  # the model is wrong, but the row sits among 'a' rows labelled 'a'
    confidence = np.full(60, 0.99)
    assert not suspect_labels(x, labels, predicted, confidence).any()


def test_unscored_rows_and_tiny_sets_are_never_suspect() -> None:
    x, labels = _clusters(np.random.default_rng(2), 3)
    labels[0] = "b"
    predicted = np.array([None, "a", "a", "b", "b", "b"], dtype=object)
    assert not suspect_labels(x, labels, predicted, np.ones(6)).any()
    assert not suspect_labels(x[:1], labels[:1], np.array(["b"], dtype=object), np.ones(1)).any()



def test_training_sets_a_relabelled_row_aside_and_lists_it(tmp_path: Path) -> None:
    """fit_classifier on three well-separated intents with one row given a wrong label: the row
    is listed in suspect_labels.csv and left out of the evidence (precomputed vectors, no
    built-in negatives: the witnesses, not the encoder, are under test)."""
    rng = np.random.default_rng(4)
    names = ["order_status", "password_reset", "return_policy"]
    x = np.vstack([np.eye(16)[k] + 0.08 * rng.standard_normal((40, 16)) for k in range(3)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = [(f"{name.replace('_', ' ')} question {i}", name) for name in names for i in range(40)]
    rows[7] = (rows[7][0], "password_reset")  # an order_status ticket, labelled wrongly
    clf = train_classifier(rows, tmp_path, folds=4, embeddings=x, use_negatives=False)
    listed = list(csv.DictReader((tmp_path / "suspect_labels.csv").open()))
    assert listed == [
        {"text": rows[7][0], "intent": "password_reset", "predicted": "order_status"}
    ]
    assert clf.meta["suspect_labels"] == 1
    assert clf.evidence is not None and len(clf.evidence.confidence) == len(rows) - 1
