"""Operating points: global and per-intent thresholds for a target unsafe rate or share.

Pure numpy over plain outcome triples (confidence, predicted intent, safe?) so the same code
serves training (out-of-fold predictions), ``deskroute calibrate`` (labelled rows or logged
outcomes) and the benchmarks, and imports nothing else of the classifier: training and the
calibration command both depend on it, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

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
