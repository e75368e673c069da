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

import numpy as np

from router.classify.base import OOS
from router.classify.embedder import get_encoder
from router.classify.metrics import at_threshold
from router.classify.operating import Outcomes, calibrate_outcomes
from router.classify.trained import TrainedClassifier


def labelled_outcomes(classifier: object, rows: Sequence[tuple[str, str]]) -> Outcomes:
    """Outcomes of a classifier on labelled rows: safe = routine and predicted intent right."""
    if not isinstance(classifier, TrainedClassifier):
        raise TypeError("calibration needs a TrainedClassifier artifact")
    texts = [t for t, _ in rows]
    labels = np.asarray([i for _, i in rows], dtype=object)
    x = get_encoder(classifier.encoder_name).encode(texts)
    conf, pred, _ = classifier.score_embeddings(x, texts)
    known = set(classifier.intents)
    routine = np.array([lab in known and lab != OOS for lab in labels])
    return Outcomes(conf, np.asarray(pred, dtype=object), routine & (pred == labels))


# fewer logged outcomes than this say more about luck than about the classifier
MIN_LOGGED_OUTCOMES = 50


def logged_outcomes(classifier: object, database_url: str | None = None) -> Outcomes:
    """Outcomes of local answers logged in the store by this classifier (any of its operating
    points: re-calibrating changes the version, not the confidences).

    Only tickets answered locally have such outcomes, so thresholds chosen from them can move
    only within the confidences that were routed locally: they tighten a lax operating point,
    and loosen one only as far as logged traffic shows.
    """
    from router.store import repo
    from router.store.db import unit_of_work

    if not isinstance(classifier, TrainedClassifier):
        raise TypeError("calibration needs a TrainedClassifier artifact")
    versions = {classifier.version, *classifier.meta.get("previous_versions", [])}
    with unit_of_work(database_url) as session:
        rows = repo.local_answer_outcomes(session, versions)
    if len(rows) < MIN_LOGGED_OUTCOMES:
        raise ValueError(
            f"only {len(rows)} locally answered tickets of classifier {classifier.version} have "
            f"an outcome (resolved, reopened or agent_edit); calibrating needs at least "
            f"{MIN_LOGGED_OUTCOMES}"
        )
    return Outcomes(
        np.array([r[0] for r in rows], dtype=np.float64),
        np.array([r[1] for r in rows], dtype=object),
        np.array([r[2] for r in rows], dtype=bool),
    )


def calibrate_classifier(
    path: str | Path,
    rows: Sequence[tuple[str, str]] | None = None,
    *,
    target_unsafe: float | None = None,
    target_llm_share: float | None = None,
    database_url: str | None = None,
) -> dict[str, object]:
    """Re-pick the artifact's thresholds and write them to its meta.json.

    From labelled ``rows``, or (``rows`` None) from the outcomes logged in the store at
    ``database_url`` (None = ``DESKROUTE_DATABASE_URL``).
    """
    clf = TrainedClassifier.load(path)
    if rows is not None:
        outcomes, source = labelled_outcomes(clf, rows), "labelled rows"
    else:
        outcomes, source = logged_outcomes(clf, database_url), "logged outcomes"
    threshold, per_intent = calibrate_outcomes(
        outcomes, target_unsafe=target_unsafe, target_llm_share=target_llm_share
    )
    before = clf.version
    n_rows = len(outcomes.confidence)
    clf.meta["calibration"] = {
        "source": source,
        "rows": n_rows,
        "target_unsafe": target_unsafe,
        "target_llm_share": target_llm_share,
    }
    clf.set_thresholds(threshold, per_intent)
    clf.save(path)
    cuts = np.array([clf.intent_threshold(str(i)) for i in outcomes.intent])
    routine = np.ones(n_rows, dtype=bool)
    stats = at_threshold(outcomes.confidence, routine, outcomes.safe, cuts)
    return {
        "classifier": str(path),
        "previous_version": before,
        "version": clf.version,
        "threshold": round(threshold, 6),
        "intent_thresholds": {k: round(v, 6) for k, v in per_intent.items()},
        "source": source,
        "rows": n_rows,
        "deflection": round(stats["deflection"], 4),
        "unsafe_rate": round(stats["unsafe_rate"], 4),
        "llm_share": round(1.0 - stats["deflection"], 4),
    }
