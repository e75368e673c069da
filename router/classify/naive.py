"""The naive baseline the issue measures against: MiniLM + logistic regression, max probability.

Kept in the code base (not only in a notebook) so every benchmark run re-measures it on the same
machine and data as the real classifier: improvements are claimed against a live number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from router.classify.base import OOS
from router.classify.embedder import DEFAULT_ENCODER, get_encoder, spec_of
from router.domain import Prediction


class NaiveClassifier:
    """Logistic regression on in-scope rows only; confidence = max softmax probability."""

    def __init__(self, encoder: str = DEFAULT_ENCODER, c: float = 10.0) -> None:
        self.encoder_name = encoder
        self.c = c
        self.classes: list[str] = []
        self.weight = np.zeros((0, 0), dtype=np.float32)
        self.bias = np.zeros(0, dtype=np.float32)
        self._threshold = 0.5
        # out-of-fold (confidence, safe) the threshold was picked on, to re-pick for any target
        self.oof: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0, dtype=bool))

    @property
    def version(self) -> str:
        return "naive-lr"

    @property
    def intents(self) -> Sequence[str]:
        return self.classes

    @property
    def threshold(self) -> float:
        return self._threshold

    def intent_threshold(self, intent: str) -> float:
        return self._threshold

    def fit(self, x: np.ndarray, labels: Sequence[str] | np.ndarray) -> NaiveClassifier:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels, dtype=object)
        keep = y != OOS
        lr = LogisticRegression(C=self.c, max_iter=300).fit(x[keep], y[keep].astype(str))
        self.classes = [str(c) for c in lr.classes_]
        self.weight = lr.coef_.T.astype(np.float32)
        self.bias = lr.intercept_.astype(np.float32)
        return self

    def set_threshold(self, threshold: float) -> None:
        self._threshold = threshold

    def score_embeddings(
        self, x: np.ndarray, texts: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        logits = x @ self.weight + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        order = np.argsort(-p, axis=1)
        names = np.asarray(self.classes, dtype=object)
        return p[np.arange(len(x)), order[:, 0]], names[order[:, 0]], names[order[:, 1]]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        conf, pred, runner = self.score_embeddings(get_encoder(self.encoder_name).encode(texts))
        return [
            Prediction(intent=str(p), confidence=float(c), runner_up=str(r))
            for c, p, r in zip(conf, pred, runner, strict=True)
        ]


def fit_naive(
    rows: Sequence[tuple[str, str]],
    target_unsafe: float,
    *,
    encoder: str | None = None,
    embeddings: np.ndarray | None = None,
    folds: int = 5,
) -> NaiveClassifier:
    """The baseline with its threshold calibrated the same honest way: out-of-fold on TRAIN."""
    from router.classify.operating import pick_threshold
    from router.classify.training import stratified_folds

    texts = [t for t, _ in rows]
    labels = np.asarray([i for _, i in rows], dtype=object)
    enc = get_encoder(encoder)
    x = embeddings if embeddings is not None else enc.encode(texts)
    conf = np.zeros(len(rows))
    pred = np.empty(len(rows), dtype=object)
    for test_idx in stratified_folds(labels, folds, 0):
        train_idx = np.setdiff1d(np.arange(len(rows)), test_idx)
        fold = NaiveClassifier(spec_of(enc, encoder)).fit(x[train_idx], labels[train_idx])
        conf[test_idx], pred[test_idx], _ = fold.score_embeddings(x[test_idx])
    model = NaiveClassifier(spec_of(enc, encoder)).fit(x, labels)
    model.oof = (conf, (labels != OOS) & (pred == labels))
    model.set_threshold(pick_threshold(*model.oof, target_unsafe))
    return model
