"""``deskroute eval``: train a fresh classifier on TRAIN, route every TEST row, report safety.

The figures answer the questions support-ops asks: how many routine tickets can the local
model take (coverage) while at most 5 % (or 10 %) of local answers are unsafe, and what do
the thresholds chosen on TRAIN alone actually give on TEST (deflection, unsafe rate): the
ceiling figures pick the best threshold with hindsight, the operating-point ones do not.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from router.classify.base import OOS
from router.classify.embedder import get_encoder, same_encoder
from router.classify.finetune import FinetuneOptions
from router.classify.metrics import at_threshold, auroc, coverage_at, curve
from router.classify.operating import DEFAULT_OOS_SHARE, OperatingPoint, choose, pick_threshold
from router.classify.trained import Progress

METRIC_KEYS = (
    "intent_accuracy",
    "auroc",
    "coverage_at_5pct_unsafe",
    "coverage_at_10pct_unsafe",
    "deflection",
    "unsafe_rate",
    "oos_share",
    "test_oos_share",
    "operating_points",
    "n_test",
    "seconds_train",
    "ms_per_ticket",
)
Scorer = Callable[[np.ndarray, Sequence[str]], tuple[np.ndarray, np.ndarray, np.ndarray]]
# (target unsafe rate, out-of-scope share) → the operating point TRAIN alone gives for them
PointFor = Callable[[float, float], OperatingPoint]


def routing_metrics(
    confidence: np.ndarray,
    predicted: Sequence[str],
    labels: Sequence[str],
    known_intents: set[str],
    thresholds: np.ndarray | float,
) -> dict[str, Any]:
    """The issue's metrics for scored test rows; ``thresholds`` is the TRAIN operating point.

    A row is routine if its intent is known from TRAIN and is not ``oos``; a row routed to
    the SLM is unsafe if it is not routine or its predicted intent is wrong.
    """
    y = np.asarray(labels, dtype=object)
    pred = np.asarray(predicted, dtype=object)
    routine = np.array([lab in known_intents and lab != OOS for lab in y], dtype=bool)
    correct = pred == y
    c = curve(confidence, routine, correct)
    op = at_threshold(confidence, routine, correct, thresholds)
    acc = float(correct[routine].mean()) if routine.any() else None
    roc = auroc(confidence, routine)
    return {
        "intent_accuracy": None if acc is None else round(acc, 4),
        "auroc": None if roc is None else round(roc, 4),
        "coverage_at_5pct_unsafe": round(coverage_at(c, 0.05), 4),
        "coverage_at_10pct_unsafe": round(coverage_at(c, 0.10), 4),
        "deflection": round(op["deflection"], 4),
        "unsafe_rate": round(op["unsafe_rate"], 4),
        "test_oos_share": round(float(1.0 - routine.mean()), 4) if len(y) else 0.0,
        "n_test": len(y),
    }


def hindsight_deflection(
    confidence: np.ndarray, routine: np.ndarray, correct: np.ndarray, max_unsafe: float
) -> float:
    """The best deflection one global threshold gives on TEST with unsafe rate ≤ ``max_unsafe``
    (chosen with hindsight: the yardstick for a threshold chosen on TRAIN)."""
    c = curve(confidence, routine, correct)
    ok = c.unsafe_rate <= max_unsafe + 1e-9
    return float(c.routed[ok].max() / max(c.n_total, 1)) if ok.any() else 0.0


def operating_point_metrics(
    point: OperatingPoint,
    target_unsafe: float,
    share: float,
    confidence: np.ndarray,
    predicted: np.ndarray,
    labels: Sequence[str],
    known_intents: set[str],
) -> dict[str, Any]:
    """One entry of ``operating_points``: what the point chosen on TRAIN for ``share`` gives on
    TEST as it is, next to what TRAIN promised (``expected_*``, ``unsafe_bound``) and the best
    one global threshold could do on TEST at the same unsafe rate."""
    y = np.asarray(labels, dtype=object)
    routine = np.array([lab in known_intents and lab != OOS for lab in y], dtype=bool)
    correct = np.asarray(predicted, dtype=object) == y
    got = at_threshold(confidence, routine, correct, point.cuts(predicted))
    best = hindsight_deflection(confidence, routine, correct, got["unsafe_rate"])
    est = point.estimate
    return {
        "target_unsafe": target_unsafe,
        "oos_share": share,
        "deflection": round(got["deflection"], 4),
        "unsafe_rate": round(got["unsafe_rate"], 4),
        "unsafe_bound": None if est is None else round(est.unsafe_bound, 4),
        "expected_unsafe_rate": None if est is None else round(est.unsafe_rate, 4),
        "expected_deflection": None if est is None else round(est.deflection, 4),
        "hindsight_deflection": round(best, 4),
        "threshold": round(point.threshold, 4),
        "per_intent_thresholds": len(point.intent_thresholds),
    }


def evaluate(
    train_rows: Sequence[tuple[str, str]],
    test_rows: Sequence[tuple[str, str]],
    *,
    target_unsafe: float = 0.05,
    progress: Progress | None = None,
    method: str = "deskroute",
    encoder: str | None = None,
    train_embeddings: np.ndarray | None = None,
    test_embeddings: np.ndarray | None = None,
    finetune: bool = False,
    finetune_options: FinetuneOptions | None = None,
    oos_shares: Sequence[float] = (DEFAULT_OOS_SHARE,),
) -> dict[str, Any]:
    """Train ``method`` ("deskroute" or the "naive" baseline) on TRAIN and score TEST.

    Precomputed embeddings (benchmarks) skip encoding; then ``ms_per_ticket`` covers the head
    only, so the benchmark measures end-to-end latency separately.
    """
    results = evaluate_sets(
        train_rows,
        {"test": (test_rows, test_embeddings)},
        target_unsafe=target_unsafe,
        progress=progress,
        method=method,
        encoder=encoder,
        train_embeddings=train_embeddings,
        finetune=finetune,
        finetune_options=finetune_options,
        oos_shares=oos_shares,
    )
    return results["test"]


def evaluate_sets(
    train_rows: Sequence[tuple[str, str]],
    test_sets: dict[str, tuple[Sequence[tuple[str, str]], np.ndarray | None]],
    *,
    target_unsafe: float = 0.05,
    progress: Progress | None = None,
    method: str = "deskroute",
    encoder: str | None = None,
    train_embeddings: np.ndarray | None = None,
    finetune: bool = False,
    finetune_options: FinetuneOptions | None = None,
    oos_shares: Sequence[float] = (DEFAULT_OOS_SHARE,),
    targets: Sequence[float] | None = None,
) -> dict[str, dict[str, Any]]:
    """Train once, then score several test sets (name → rows and optional base-encoder vectors).

    Rows of a test set whose intent TRAIN does not know must escalate, so a set from another
    domain measures how much foreign traffic would be answered locally (its ``deflection``).
    The top-level ``deflection``/``unsafe_rate`` are at ``target_unsafe`` and the default
    out-of-scope share; ``operating_points`` has one entry per share in ``oos_shares`` (and
    per target in ``targets``, default ``target_unsafe`` alone), all from the one training.
    """
    if not test_sets or any(not rows for rows, _ in test_sets.values()):
        raise ValueError("the test set has no rows")
    report = progress or (lambda stage, frac: None)
    with tempfile.TemporaryDirectory(prefix="deskroute-eval-") as scratch:
        started = time.perf_counter()
        scorer, point_for, used_encoder = _train(
            method, train_rows, target_unsafe, report, encoder, train_embeddings,
            finetune=finetune, finetune_options=finetune_options,
            encoder_dir=Path(scratch) / "encoder",
        )
        seconds_train = time.perf_counter() - started
        known = {intent for _, intent in train_rows if intent != OOS}
        # the same encoder at the same precision: the given base-encoder vectors still apply
        shared = same_encoder(used_encoder, encoder)
        results = {}
        for name, (rows, vectors) in test_sets.items():
            conf, predicted, ms = _route(
                scorer, used_encoder, rows, vectors if shared else None, report
            )
            labels = [lab for _, lab in rows]
            default = point_for(target_unsafe, DEFAULT_OOS_SHARE)
            result = routing_metrics(conf, predicted.tolist(), labels, known,
                                     default.cuts(predicted))
            result["oos_share"] = DEFAULT_OOS_SHARE
            result["operating_points"] = [
                operating_point_metrics(
                    point_for(target, share), target, share, conf, predicted, labels, known
                )
                for target in (targets or (target_unsafe,))
                for share in oos_shares
            ]
            result["ms_per_ticket"] = round(ms, 3)
            result["seconds_train"] = round(seconds_train, 2)
            results[name] = {key: result[key] for key in METRIC_KEYS}
        return results


def _route(
    scorer: Scorer,
    encoder: str,
    test_rows: Sequence[tuple[str, str]],
    test_embeddings: np.ndarray | None,
    report: Progress,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Confidence and predicted intent of every TEST row, and milliseconds per row."""
    texts = [t for t, _ in test_rows]
    started = time.perf_counter()
    batch = 64
    confs, preds = [], []
    for i in range(0, len(texts), batch):
        report("routing test rows", i / len(texts))
        x = (
            test_embeddings[i : i + batch]
            if test_embeddings is not None
            else get_encoder(encoder).encode(texts[i : i + batch])
        )
        conf, pred, _ = scorer(x, texts[i : i + batch])
        confs.append(conf)
        preds.append(pred)
    report("routing test rows", 1.0)
    ms = (time.perf_counter() - started) * 1000 / len(texts)
    return np.concatenate(confs), np.concatenate(preds), ms


def _train(
    method: str,
    rows: Sequence[tuple[str, str]],
    target_unsafe: float,
    report: Progress,
    encoder: str | None,
    embeddings: np.ndarray | None,
    *,
    finetune: bool,
    finetune_options: FinetuneOptions | None,
    encoder_dir: Path,
) -> tuple[Scorer, PointFor, str]:
    """The trained scorer, its operating point for any (target, share), and its encoder."""
    if method == "deskroute":
        from router.classify.training import fit_classifier

        clf = fit_classifier(
            rows,
            progress=report,
            encoder=encoder,
            target_unsafe=target_unsafe,
            embeddings=embeddings,
            finetune=finetune,
            finetune_options=finetune_options,
            encoder_dir=encoder_dir,
        )
        evidence = clf.evidence
        assert evidence is not None  # fit_classifier always keeps its out-of-fold outcomes
        return (
            clf.score_embeddings,
            lambda target, share: choose(evidence, target, share),
            clf.encoder_name,
        )
    if method == "naive":
        from router.classify.naive import fit_naive

        naive = fit_naive(rows, target_unsafe, encoder=encoder, embeddings=embeddings)
        # the baseline's rule whatever the share: the empirical out-of-fold unsafe rate
        return (
            naive.score_embeddings,
            lambda target, share: OperatingPoint(pick_threshold(*naive.oof, target)),
            naive.encoder_name,
        )
    raise ValueError(f"unknown method {method!r} (deskroute or naive)")
