"""Fitting a :class:`TrainedClassifier`: encode once, cross-validate, calibrate, refit.

The expensive part is the encoder, so texts are encoded a single time and every fold reuses
the vectors. The out-of-fold predictions are what the stacker, the novelty gate and the
thresholds learn from: they are the closest thing TRAIN offers to tickets never seen.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from router.classify.base import OOS
from router.classify.confidence import ConfidenceModel, fit_confidence
from router.classify.dataio import check_classes
from router.classify.embedder import get_encoder, spec_of, split_spec
from router.classify.finetune import FinetuneOptions, finetune_encoder, torch_threads
from router.classify.head import FEATURE_NAMES, fit_head, run_head
from router.classify.label_noise import suspect_labels
from router.classify.negatives import GENERIC_NEGATIVES, filter_negatives
from router.classify.operating import CONFIDENCE, DEFAULT_OOS_SHARE, Outcomes, choose
from router.classify.trained import (
    ENCODER_DIR,
    METHOD,
    METHOD_FINETUNED,
    Progress,
    TrainedClassifier,
)


def stratified_folds(labels: np.ndarray, n_folds: int, seed: int) -> list[np.ndarray]:
    """Stratified fold ids that tolerate intents with fewer examples than folds."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=np.int64)
    offset = 0
    for label in sorted(set(labels.tolist())):
        idx = np.flatnonzero(labels == label)
        rng.shuffle(idx)
        fold_of[idx] = (np.arange(len(idx)) + offset) % n_folds
        offset += len(idx)
    return [np.flatnonzero(fold_of == k) for k in range(n_folds)]


@dataclass(frozen=True)
class OutOfFold:
    """What the fold heads said about the rows they did not train on (one row per row)."""

    features: np.ndarray  # (n, len(FEATURE_NAMES)) the stacker's inputs
    sim_any: np.ndarray  # cosine to the nearest in-scope training row (the novelty gate's)
    pred: np.ndarray  # predicted intent (object; None where a fold was too small to train)
    routine: np.ndarray  # the row's label is an in-scope intent
    safe: np.ndarray  # routine and predicted right

    @property
    def scored(self) -> np.ndarray:
        return np.asarray([p is not None for p in self.pred], dtype=bool)

    def outcomes(self, confidence: ConfidenceModel, exclude: np.ndarray | None = None) -> Outcomes:
        """The evidence thresholds are chosen on: scored rows with the stacker's confidence,
        less the ``exclude``d ones (suspect labels)."""
        ok = self.scored if exclude is None else self.scored & ~exclude
        conf = confidence.score(self.features, self.sim_any)
        return Outcomes(conf[ok], self.pred[ok], self.safe[ok], self.routine[ok])


def out_of_fold(
    x: np.ndarray,
    labels: np.ndarray,
    texts: np.ndarray,
    *,
    n_folds: int,
    seed: int = 0,
    c: float = 10.0,
    progress: Progress | None = None,
) -> OutOfFold:
    """Fit one head per fold on the other folds and score the held-out rows with it."""
    report = progress or (lambda stage, frac: None)
    features = np.zeros((len(x), len(FEATURE_NAMES)), dtype=np.float32)
    sim_any = np.zeros(len(x), dtype=np.float32)
    pred = np.empty(len(x), dtype=object)
    for k, test_idx in enumerate(stratified_folds(labels, n_folds, seed)):
        report("cross-validating", k / (n_folds + 1))
        train_idx = np.setdiff1d(np.arange(len(x)), test_idx)
        if len(set(labels[train_idx]) - {OOS}) < 2 or len(test_idx) == 0:
            continue
        head = fit_head(x[train_idx], labels[train_idx], texts=texts[train_idx].tolist(), c=c)
        out = run_head(head, x[test_idx], texts[test_idx].tolist())
        features[test_idx] = out.features
        sim_any[test_idx] = out.sim_any
        pred[test_idx] = np.asarray(head.classes, dtype=object)[out.pred]
    routine = labels != OOS
    return OutOfFold(features, sim_any, pred, routine, routine & (pred == labels))


def fit_classifier(
    rows: Sequence[tuple[str, str]],
    *,
    progress: Progress | None = None,
    encoder: str | None = None,
    folds: int = 4,
    target_unsafe: float = 0.05,
    oos_share: float | None = None,
    c: float = 10.0,
    use_negatives: bool = True,
    seed: int = 0,
    embeddings: np.ndarray | None = None,
    finetune: bool = False,
    finetune_options: FinetuneOptions | None = None,
    encoder_dir: Path | None = None,
) -> TrainedClassifier:
    """Train on ``(text, intent)`` rows; ``oos`` rows are examples of what must escalate.

    ``embeddings`` lets benchmarks pass the base encoder's vectors for ``rows``. With
    ``finetune`` the encoder is first fine-tuned on the rows (saved to ``encoder_dir``, a fresh
    temporary folder if None) and the head is trained on the fine-tuned vectors.

    The operating point is chosen on the out-of-fold predictions for ``target_unsafe`` at the
    out-of-scope share ``oos_share`` of live traffic (None: the conservative default), on the
    bound of :mod:`router.classify.operating`; those predictions travel with the artifact
    (``evidence``), so ``deskroute calibrate --oos-share`` can re-pick without retraining.

    Rows whose label both the confident out-of-fold model and their nearest neighbours
    contradict (:mod:`router.classify.label_noise`) are left out of that evidence: a
    mislabelled row otherwise counts as an unsafe answer exactly when the model is right. On
    BANKING77-OOS the fold heads' 3/4 of TRAIN cost nothing measurable on valid; the label
    noise was what made the evidence pessimistic (docs/CLASSIFIER_BENCH.md).

    Calibration caveat: the fine-tuned encoder has seen every row, so the out-of-fold heads
    are slightly optimistic.
    """
    report = progress or (lambda stage, frac: None)
    check_classes(rows, min_classes=2)
    started = time.perf_counter()
    enc = get_encoder(encoder)
    texts = [t for t, _ in rows]
    labels = np.asarray([i for _, i in rows], dtype=object)
    report("encoding", 0.0)
    if embeddings is not None:
        x = embeddings
    else:
        with torch_threads(os.cpu_count() or 1):
            x = enc.encode(texts)
    if len(x) != len(rows):
        raise ValueError("embeddings must have one row per training row")
    n_negatives = 0
    if use_negatives:
        neg = enc.encode(list(GENERIC_NEGATIVES))
        keep = filter_negatives(neg, x[labels != OOS])
        n_negatives = int(keep.sum())
        x = np.vstack([x, neg[keep]])
        labels = np.concatenate([labels, np.full(n_negatives, OOS, dtype=object)])
        texts = texts + [t for t, k in zip(GENERIC_NEGATIVES, keep, strict=True) if k]
    report("encoding", 1.0)
    encoder_name = spec_of(enc, encoder)
    scratch: Path | None = None
    if finetune:
        folder = encoder_dir
        if folder is None:
            folder = scratch = Path(tempfile.mkdtemp(prefix="deskroute-encoder-"))
        finetune_encoder(
            texts, labels.tolist(), folder, base=split_spec(encoder)[0] if encoder else None,
            options=finetune_options, progress=report,
        )
        encoder_name = spec_of(enc, str(folder.resolve()))
        report("encoding with the fine-tuned encoder", 0.0)
        with torch_threads(os.cpu_count() or 1):
            x = get_encoder(encoder_name).encode(texts)
    routine = labels != OOS
    text_arr = np.asarray(texts, dtype=object)

    n_folds = max(2, min(folds, len(x)))
    oof = out_of_fold(x, labels, text_arr, n_folds=n_folds, seed=seed, c=c, progress=report)
    confidence = fit_confidence(oof.features, oof.safe, oof.sim_any, routine)
    suspect = suspect_labels(
        x, labels, oof.pred, confidence.score(oof.features, oof.sim_any)
    )
    outcomes = oof.outcomes(confidence, exclude=suspect)
    share = DEFAULT_OOS_SHARE if oos_share is None else oos_share
    point = choose(outcomes, target_unsafe, share)

    report("fitting final model", n_folds / (n_folds + 1))
    head = fit_head(x, labels, texts=texts, c=c)
    report("fitting final model", 1.0)
    oof_acc = float(oof.safe[routine].mean()) if routine.any() else 0.0
    meta: dict[str, Any] = {
        "method": METHOD_FINETUNED if finetune else METHOD,
        "trained_rows": len(rows),
        "generic_negatives": n_negatives,
        "folds": n_folds,
        "c": c,
        "target_unsafe": target_unsafe,
        "oos_share": share,
        "oos_share_source": "default" if oos_share is None else "declared",
        "bound_confidence": CONFIDENCE,
        "operating_point": point.estimate.to_json() if point.estimate else {},
        "cv_intent_accuracy": round(oof_acc, 4),
        "suspect_labels": int(suspect.sum()),
        "seconds_train": round(time.perf_counter() - started, 2),
        "finetuned": finetune,
        "oos_parts": head.oos_parts,
    }
    if finetune:
        meta["base_encoder"] = enc.name
    clf = TrainedClassifier(
        head,
        confidence,
        encoder=encoder_name,
        threshold=point.threshold,
        intent_thresholds=point.intent_thresholds,
        meta=meta,
        evidence=outcomes,
    )
    n_rows = len(rows)  # the user's rows come first; built-in negatives are never listed
    clf.suspects = [
        (texts[i], str(labels[i]), str(oof.pred[i])) for i in np.flatnonzero(suspect[:n_rows])
    ]
    if scratch is not None:
        # a fine-tuned encoder in a scratch folder lives as long as the classifier object
        # (``save`` copies it into the artifact)
        weakref.finalize(clf, shutil.rmtree, scratch, ignore_errors=True)
    return clf


def train_classifier(
    rows: Sequence[tuple[str, str]],
    out_dir: Path | None = None,
    *,
    progress: Progress | None = None,
    **options: Any,
) -> TrainedClassifier:
    """Train (with cross-validated calibration) and optionally save to ``out_dir``.

    Options are those of :func:`fit_classifier`.
    """
    if out_dir is not None and options.get("finetune", False):
        options.setdefault("encoder_dir", Path(out_dir) / ENCODER_DIR)
    clf = fit_classifier(rows, progress=progress, **options)
    if out_dir is not None:
        clf.save(out_dir)
    return clf
