"""Choosing operating points: global and per-intent thresholds for a target unsafe rate or share.

Inputs are plain outcome triples (confidence, predicted intent, safe?) so the same code serves
labelled data (safe = routine ticket and intent predicted right) and logged production outcomes
(safe = the local answer was not reopened, edited or escalated). Thresholds are written into
the classifier artifact's meta.json, which changes its version, so every stored decision keeps
pointing at the operating point that made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from router.classify.metrics import curve

# per-intent thresholds from fewer outcomes than this are noise; such intents use the global one
MIN_INTENT_SUPPORT = 25


@dataclass(frozen=True)
class Outcomes:
    """One row per ticket: how confident the router was, in what, and whether it was safe."""

    confidence: np.ndarray
    intent: np.ndarray
    safe: np.ndarray

    def __post_init__(self) -> None:
        if not (len(self.confidence) == len(self.intent) == len(self.safe)):
            raise ValueError("confidence, intent and safe must have the same length")


def pick_threshold(confidence: np.ndarray, safe: np.ndarray, target_unsafe: float) -> float:
    """Lowest threshold whose routed set has an unsafe share ≤ target (max coverage).

    Returns a value above every confidence (route nothing locally) if no cut meets the target.
    """
    if not 0.0 <= target_unsafe <= 1.0:
        raise ValueError("target unsafe rate must be between 0 and 1")
    conf = np.asarray(confidence, dtype=np.float64)
    if len(conf) == 0:
        return 1.0
    safe_b = np.asarray(safe, dtype=bool)
    c = curve(conf, np.ones(len(conf), dtype=bool), safe_b)
    ok = np.flatnonzero(c.unsafe_rate <= target_unsafe + 1e-12)
    if len(ok) == 0:
        return float(min(1.0, conf.max() + 1e-6))
    best = ok[np.argmax(c.routed[ok] - c.unsafe[ok])]
    return float(c.thresholds[best])


def pick_threshold_for_share(confidence: np.ndarray, target_llm_share: float) -> float:
    """Threshold that escalates about ``target_llm_share`` of tickets (a cost budget in disguise:
    budget per ticket / cost per hosted call = the share the budget allows)."""
    if not 0.0 <= target_llm_share <= 1.0:
        raise ValueError("target LLM share must be between 0 and 1")
    conf = np.asarray(confidence, dtype=np.float64)
    if len(conf) == 0:
        return 1.0
    if target_llm_share >= 1.0:
        return float(min(1.0, conf.max() + 1e-6))
    return float(np.quantile(conf, target_llm_share, method="higher"))


def per_intent_thresholds(
    outcomes: Outcomes, global_threshold: float, target_unsafe: float
) -> dict[str, float]:
    """Stricter thresholds for intents that are riskier than average, never laxer ones.

    Only raising keeps the global guarantee: a laxer per-intent cut, chosen on few tickets,
    would be the noisiest number in the whole artifact.
    """
    result: dict[str, float] = {}
    for intent in sorted(set(outcomes.intent.tolist())):
        mask = outcomes.intent == intent
        routed = mask & (outcomes.confidence >= global_threshold)
        if routed.sum() < MIN_INTENT_SUPPORT:
            continue
        t = pick_threshold(outcomes.confidence[mask], outcomes.safe[mask], target_unsafe)
        if t > global_threshold:
            result[str(intent)] = t
    return result


def calibrate_outcomes(
    outcomes: Outcomes,
    *,
    target_unsafe: float | None = None,
    target_llm_share: float | None = None,
    per_intent: bool = True,
) -> tuple[float, dict[str, float]]:
    """Global threshold (+ per-intent ones for an unsafe target) for exactly one target."""
    if (target_unsafe is None) == (target_llm_share is None):
        raise ValueError("give exactly one of target_unsafe or target_llm_share")
    if target_llm_share is not None:
        return pick_threshold_for_share(outcomes.confidence, target_llm_share), {}
    assert target_unsafe is not None
    t = pick_threshold(outcomes.confidence, outcomes.safe, target_unsafe)
    return t, (per_intent_thresholds(outcomes, t, target_unsafe) if per_intent else {})


def labelled_outcomes(classifier: object, rows: Sequence[tuple[str, str]]) -> Outcomes:
    """Outcomes of a classifier on labelled rows: safe = routine and predicted intent right."""
    from router.classify.base import OOS
    from router.classify.trained import TrainedClassifier

    if not isinstance(classifier, TrainedClassifier):
        raise TypeError("calibration needs a TrainedClassifier artifact")
    from router.classify.embedder import get_encoder

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
    from router.classify.trained import TrainedClassifier
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
    from router.classify.metrics import at_threshold
    from router.classify.trained import TrainedClassifier

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
