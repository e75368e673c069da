"""``deskroute calibrate``: re-pick a saved classifier's operating point from new evidence.

The evidence is labelled rows (safe = routine ticket and intent predicted right) or logged
production outcomes (safe = the local answer was not reopened, edited or escalated); the
threshold math is :mod:`router.classify.operating`. Thresholds are written into the classifier
artifact's meta.json, which changes its version, so every stored decision keeps pointing at
the operating point that made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from router.classify.base import OOS
from router.classify.embedder import get_encoder
from router.classify.operating import (
    DEFAULT_OOS_SHARE,
    OperatingPoint,
    Outcomes,
    calibrate_outcomes,
    check_fraction,
    estimate,
    measure_share,
)
from router.classify.trained import TrainedClassifier


def labelled_outcomes(classifier: TrainedClassifier, rows: Sequence[tuple[str, str]]) -> Outcomes:
    """Outcomes of a classifier on labelled rows: routine = an intent it knows (not ``oos``),
    safe = routine and predicted right."""
    texts = [t for t, _ in rows]
    labels = np.asarray([i for _, i in rows], dtype=object)
    x = get_encoder(classifier.encoder_name).encode(texts)
    conf, pred, _ = classifier.score_embeddings(x, texts)
    known = set(classifier.intents)
    routine = np.array([lab in known and lab != OOS for lab in labels], dtype=bool)
    pred = np.asarray(pred, dtype=object)
    return Outcomes(conf, pred, routine & (pred == labels), routine)


# fewer logged outcomes (or decisions) than this say more about luck than about the classifier
MIN_LOGGED_OUTCOMES = 50


def _versions(classifier: TrainedClassifier) -> set[str]:
    """Every version of this artifact: re-calibrating changes the version, not the confidences."""
    return {classifier.version, *classifier.meta.get("previous_versions", [])}


def logged_outcomes(classifier: TrainedClassifier, database_url: str | None = None) -> Outcomes:
    """Outcomes of local answers logged in the store by this classifier (any of its versions).

    Only tickets answered locally have such outcomes, so thresholds chosen from them can move
    only within the confidences that were routed locally: they tighten a lax operating point.
    """
    from router.store import repo
    from router.store.db import unit_of_work

    with unit_of_work(database_url) as session:
        rows = repo.local_answer_outcomes(session, _versions(classifier))
    return Outcomes(
        np.array([r[0] for r in rows], dtype=np.float64),
        np.array([r[1] for r in rows], dtype=object),
        np.array([r[2] for r in rows], dtype=bool),
    )


def logged_confidences(
    classifier: TrainedClassifier, database_url: str | None = None
) -> np.ndarray:
    """The confidence of every ticket this classifier decided (any route): live traffic."""
    from router.store import repo
    from router.store.db import unit_of_work

    with unit_of_work(database_url) as session:
        return np.asarray(repo.decision_confidences(session, _versions(classifier)), dtype=float)


def _from_outcomes(
    clf: TrainedClassifier, target_unsafe: float | None, target_llm_share: float | None,
    database_url: str | None,
) -> tuple[OperatingPoint, float, dict[str, Any]]:
    """Measure the share from every logged decision, re-pick on the out-of-fold evidence at it,
    and tighten wherever the logged outcomes of local answers show the result is too lax."""
    logged = logged_outcomes(clf, database_url)
    n_logged = len(logged.confidence)
    info: dict[str, Any] = {"source": "logged outcomes", "rows": n_logged}
    share = float(clf.meta.get("oos_share", DEFAULT_OOS_SHARE))
    if clf.evidence is not None:
        live = logged_confidences(clf, database_url)
        if len(live) >= MIN_LOGGED_OUTCOMES:
            measured = measure_share(clf.evidence, live)
            share = float(measured["oos_share"])
            info["measured_oos_share"] = measured
    if n_logged < MIN_LOGGED_OUTCOMES:
        if clf.evidence is None or "measured_oos_share" not in info:
            raise ValueError(
                f"only {n_logged} locally answered tickets of classifier {clf.version} have an "
                f"outcome (resolved, reopened or agent_edit); calibrating needs at least "
                f"{MIN_LOGGED_OUTCOMES}"
            )
        info["source"] = "logged decisions (share) + out-of-fold evidence"
        point = calibrate_outcomes(
            clf.evidence, target_unsafe=target_unsafe, target_llm_share=target_llm_share,
            share=share,
        )
        return point, share, info
    from_logs = calibrate_outcomes(
        logged, target_unsafe=target_unsafe, target_llm_share=target_llm_share, share=0.0
    )
    if clf.evidence is None or target_unsafe is None:
        return from_logs, share, info
    info["source"] = "logged outcomes + logged decisions (share) + out-of-fold evidence"
    point = calibrate_outcomes(clf.evidence, target_unsafe=target_unsafe, share=share)
    return tighten(point, from_logs, logged), share, info


def tighten(point: OperatingPoint, logs: OperatingPoint, logged: Outcomes) -> OperatingPoint:
    """``point``, made stricter wherever ``logs`` (chosen on logged local answers) is stricter
    *and* binding: a logged cut above the lowest logged confidence means the outcomes showed
    the band below it unsafe; at the lowest, the logs only say that all they saw was fine."""
    floor = float(logged.confidence.min()) if len(logged.confidence) else 1.0
    threshold = max(point.threshold, logs.threshold) if logs.threshold > floor else point.threshold
    per = dict(point.intent_thresholds)
    for intent, cut in logs.intent_thresholds.items():
        per[intent] = max(cut, per.get(intent, threshold))
    return OperatingPoint(threshold, per, point.estimate)


def calibrate_classifier(
    path: str | Path,
    rows: Sequence[tuple[str, str]] | None = None,
    *,
    target_unsafe: float | None = None,
    target_llm_share: float | None = None,
    oos_share: float | None = None,
    from_outcomes: bool = False,
    database_url: str | None = None,
) -> dict[str, object]:
    """Re-pick the artifact's thresholds and write them to its meta.json.

    Evidence: labelled ``rows``; or with ``from_outcomes`` the store at ``database_url`` (None =
    ``DESKROUTE_DATABASE_URL``): the share measured from logged decisions, logged outcomes of
    local answers; or neither: the artifact's own out-of-fold evidence. ``oos_share`` None
    keeps the artifact's declared share (from_outcomes: the measured one).
    """
    clf = TrainedClassifier.load(path)
    declared = float(clf.meta.get("oos_share", DEFAULT_OOS_SHARE))
    share = declared if oos_share is None else oos_share
    check_fraction("out-of-scope share", share)
    info: dict[str, Any]
    if from_outcomes:
        if rows is not None or oos_share is not None:
            raise ValueError("--from-outcomes measures the share and reads its own evidence")
        point, share, info = _from_outcomes(clf, target_unsafe, target_llm_share, database_url)
        evidence = clf.evidence
    else:
        if rows is not None:
            evidence, info = labelled_outcomes(clf, rows), {"source": "labelled rows"}
        elif clf.evidence is not None:
            evidence, info = clf.evidence, {"source": "out-of-fold evidence (training)"}
        else:
            raise ValueError(
                f"{path} predates stored out-of-fold evidence: give --data or --from-outcomes, "
                "or retrain it"
            )
        info["rows"] = len(evidence.confidence)
        point = calibrate_outcomes(
            evidence, target_unsafe=target_unsafe, target_llm_share=target_llm_share,
            share=share,
        )
    before = clf.version
    clf.meta["calibration"] = {
        **info,
        "target_unsafe": target_unsafe,
        "target_llm_share": target_llm_share,
    }
    clf.meta["oos_share"] = share
    clf.meta["oos_share_source"] = (
        "measured" if "measured_oos_share" in info
        else ("declared" if oos_share is not None else clf.meta.get("oos_share_source", "default"))
    )
    est = None if evidence is None else estimate(
        evidence, point.cuts(evidence.intent), share
    )
    clf.meta["operating_point"] = est.to_json() if est is not None else {}
    if target_unsafe is not None:
        clf.meta["target_unsafe"] = target_unsafe
    clf.set_thresholds(point.threshold, point.intent_thresholds)
    clf.save(path)
    result: dict[str, Any] = {
        "classifier": str(path),
        "previous_version": before,
        "version": clf.version,
        "threshold": round(point.threshold, 6),
        "intent_thresholds": {k: round(v, 6) for k, v in point.intent_thresholds.items()},
        "oos_share": round(share, 4),
        **info,
    }
    if est is not None:
        result.update(
            expected_deflection=round(est.deflection, 4),
            deflection_low=round(est.deflection_low, 4),
            expected_unsafe_rate=round(est.unsafe_rate, 4),
            unsafe_bound=round(est.unsafe_bound, 4),
            llm_share=round(1.0 - est.deflection, 4),
        )
    return result
