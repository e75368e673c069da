"""The classifier head on synthetic geometry: out-of-scope rows split into several softmax parts.

Out-of-scope examples are many unrelated topics. Here they sit on opposite sides of the
in-scope intents, which no single linear ``oos`` class can cover; k-means parts can.
"""

from __future__ import annotations

import numpy as np

from router.classify.base import OOS
from router.classify.head import fit_head, oos_parts_for, run_head

DIM = 8


def _cloud(rng: np.random.Generator, centre: np.ndarray, n: int) -> np.ndarray:
    x = centre + 0.15 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    eye = np.eye(DIM)
    parts = [
        (_cloud(rng, eye[0], 40), "refund"),
        (_cloud(rng, eye[1], 40), "delivery"),
        (_cloud(rng, eye[2], 40), OOS),
        (_cloud(rng, -eye[2], 40), OOS),
        (_cloud(rng, eye[3], 40), OOS),
        (_cloud(rng, -eye[3], 40), OOS),
    ]
    x = np.vstack([p for p, _ in parts])
    y = np.concatenate([[label] * len(p) for p, label in parts])
    return x, y


def test_oos_parts_scale_with_the_number_of_oos_rows() -> None:
    assert oos_parts_for(0) == 1 and oos_parts_for(100) == 1
    assert oos_parts_for(2137) == 28
    assert oos_parts_for(100_000) == 32


def test_oos_parts_are_summed_back_into_one_oos_probability() -> None:
    x, y = _data(0)
    test_x, test_y = _data(1)
    head = fit_head(x, y, c=10.0, knn_share=0.0, oos_parts=4)
    assert head.classes == ["delivery", "refund", OOS]
    assert head.weight.shape[1] == 3 + 3  # three extra oos columns
    out = run_head(head, test_x)
    logits = test_x @ head.weight + head.bias
    full = np.exp(logits - logits.max(axis=1, keepdims=True))
    full /= full.sum(axis=1, keepdims=True)
    assert np.allclose(out.proba[:, head.oos_index], full[:, 2:].sum(axis=1), atol=1e-5)
    assert np.allclose(out.proba[:, :2], full[:, :2], atol=1e-5)
    # each out-of-scope region gets its own column: the parts do not blur the regions together
    winners = {int(np.argmax(full[i, 2:])) for i in np.flatnonzero(test_y == OOS)[::40]}
    assert winners == {0, 1, 2, 3}


def test_split_oos_head_keeps_intents_and_rejects_every_oos_region() -> None:
    x, y = _data(0)
    test_x, test_y = _data(1)
    head = fit_head(x, y, c=10.0, knn_share=0.0, oos_parts=4)
    out = run_head(head, test_x)
    oos_rows = test_y == OOS
    assert np.min(out.proba[oos_rows, head.oos_index]) > 0.5
    names = np.asarray(head.classes)[out.pred[~oos_rows]]
    assert (names == test_y[~oos_rows]).mean() > 0.95
    assert np.max(out.proba[~oos_rows, head.oos_index]) < 0.5


def test_too_few_oos_rows_keep_a_single_column() -> None:
    x, y = _data(0)
    keep = np.flatnonzero(y != OOS).tolist() + np.flatnonzero(y == OOS)[:9].tolist()
    head = fit_head(x[keep], y[keep], c=10.0, knn_share=0.0, oos_parts=4)
    assert head.weight.shape[1] == len(head.classes) == 3
