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
from router.classify.trained import Progress

METRIC_KEYS = (
    "intent_accuracy",
    "auroc",
    "coverage_at_5pct_unsafe",
    "coverage_at_10pct_unsafe",
    "deflection",
    "unsafe_rate",
    "n_test",
    "seconds_train",
    "ms_per_ticket",
)
Scorer = Callable[[np.ndarray, Sequence[str]], tuple[np.ndarray, np.ndarray, np.ndarray]]


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
        "n_test": len(y),
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
) -> dict[str, dict[str, Any]]:
    """Train once, then score several test sets (name → rows and optional base-encoder vectors).

    Rows of a test set whose intent TRAIN does not know must escalate, so a set from another
    domain measures how much foreign traffic would be answered locally (its ``deflection``).
    """
    if not test_sets or any(not rows for rows, _ in test_sets.values()):
        raise ValueError("the test set has no rows")
    report = progress or (lambda stage, frac: None)
    with tempfile.TemporaryDirectory(prefix="deskroute-eval-") as scratch:
        started = time.perf_counter()
        scorer, thresholds_for, used_encoder = _train(
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
            result = _route_and_score(
                scorer, thresholds_for, used_encoder, rows, vectors if shared else None,
                known, report,
            )
            result["seconds_train"] = round(seconds_train, 2)
            results[name] = {key: result[key] for key in METRIC_KEYS}
        return results


def _route_and_score(
    scorer: Scorer,
    thresholds_for: Callable[[np.ndarray], np.ndarray],
    encoder: str,
    test_rows: Sequence[tuple[str, str]],
    test_embeddings: np.ndarray | None,
    known: set[str],
    report: Progress,
) -> dict[str, Any]:
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
    predicted = np.concatenate(preds)
    result = routing_metrics(
        np.concatenate(confs),
        predicted.tolist(),
        [lab for _, lab in test_rows],
        known,
        thresholds_for(predicted),
    )
    result["ms_per_ticket"] = round(ms, 3)
    return result


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
) -> tuple[Scorer, Callable[[np.ndarray], np.ndarray], str]:
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
        return (
            clf.score_embeddings,
            lambda pred: np.array([clf.intent_threshold(str(p)) for p in pred]),
            clf.encoder_name,
        )
    if method == "naive":
        from router.classify.naive import fit_naive

        naive = fit_naive(rows, target_unsafe, encoder=encoder, embeddings=embeddings)
        return (
            naive.score_embeddings,
            lambda pred: np.full(len(pred), naive.threshold),
            naive.encoder_name,
        )
    raise ValueError(f"unknown method {method!r} (deskroute or naive)")
