"""Suspect labels: both witnesses (confident model, nearest neighbours) must contradict a label."""

from __future__ import annotations

import numpy as np

from router.classify.label_noise import suspect_labels


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
