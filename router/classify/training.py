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
from pathlib import Path
from typing import Any

import numpy as np

from router.classify.base import OOS
from router.classify.confidence import fit_confidence
from router.classify.dataio import check_classes
from router.classify.embedder import get_encoder, spec_of, split_spec
from router.classify.finetune import FinetuneOptions, finetune_encoder, torch_threads
from router.classify.head import FEATURE_NAMES, fit_head, run_head
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

    Calibration caveat: the fine-tuned encoder has seen every row, so the out-of-fold heads
    are slightly optimistic. Measured on BANKING77-OOS (docs/CLASSIFIER_BENCH.md), that
    optimism is smaller than the pessimism of training each fold on 3/4 of the data.
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
    conf_features = np.zeros((len(x), len(FEATURE_NAMES)), dtype=np.float32)
    sim_any = np.zeros(len(x), dtype=np.float32)
    oof_pred = np.empty(len(x), dtype=object)
    for k, test_idx in enumerate(stratified_folds(labels, n_folds, seed)):
        report("cross-validating", k / (n_folds + 1))
        train_idx = np.setdiff1d(np.arange(len(x)), test_idx)
        if len(set(labels[train_idx]) - {OOS}) < 2 or len(test_idx) == 0:
            continue
        head = fit_head(x[train_idx], labels[train_idx], texts=text_arr[train_idx].tolist(), c=c)
        out = run_head(head, x[test_idx], text_arr[test_idx].tolist())
        conf_features[test_idx] = out.features
        sim_any[test_idx] = out.sim_any
        oof_pred[test_idx] = np.asarray(head.classes, dtype=object)[out.pred]
    safe = routine & (oof_pred == labels)
    confidence = fit_confidence(conf_features, safe, sim_any, routine)
    oof_conf = confidence.score(conf_features, sim_any)
    scored = np.asarray([p is not None for p in oof_pred])  # folds too small to train skip
    outcomes = Outcomes(oof_conf[scored], oof_pred[scored], safe[scored], routine[scored])
    share = DEFAULT_OOS_SHARE if oos_share is None else oos_share
    point = choose(outcomes, target_unsafe, share)

    report("fitting final model", n_folds / (n_folds + 1))
    head = fit_head(x, labels, texts=texts, c=c)
    report("fitting final model", 1.0)
    oof_acc = float(safe[routine].mean()) if routine.any() else 0.0
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
