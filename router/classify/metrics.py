"""Routing metrics: how many routine tickets stay local for a given share of unsafe answers.

Plain numpy over three arrays per test row (confidence, routine?, intent right?) so the same
functions serve ``deskroute eval``, ``deskroute calibrate`` and the benchmarks, and can be
checked by hand on tiny examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Curve:
    """The coverage/unsafe trade-off at every distinct confidence cut, best cut first."""

    thresholds: np.ndarray  # route to slm when confidence >= threshold
    routed: np.ndarray  # rows routed to slm at each threshold
    unsafe: np.ndarray  # of which unsafe (must escalate, or wrong intent)
    n_routine: int
    n_total: int

    @property
    def coverage(self) -> np.ndarray:
        """Share of routine rows answered locally with the right intent."""
        return (self.routed - self.unsafe) / max(self.n_routine, 1)

    @property
    def unsafe_rate(self) -> np.ndarray:
        return np.divide(
            self.unsafe, self.routed, out=np.zeros(len(self.routed)), where=self.routed > 0
        )


def safe_mask(routine: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """A local answer is safe only for a routine ticket whose intent was predicted right."""
    return np.asarray(routine, dtype=bool) & np.asarray(correct, dtype=bool)


def curve(confidence: np.ndarray, routine: np.ndarray, correct: np.ndarray) -> Curve:
    """Cumulative routed/unsafe counts at each distinct confidence, highest first.

    Ties share one cut: a threshold cannot separate two tickets with the same confidence.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    safe = safe_mask(routine, correct)
    order = np.argsort(-conf, kind="stable")
    conf_sorted = conf[order]
    unsafe_cum = np.cumsum(~safe[order])
    # last index of each run of equal confidences
    ends = np.flatnonzero(np.r_[conf_sorted[1:] != conf_sorted[:-1], True])
    return Curve(
        thresholds=conf_sorted[ends],
        routed=(ends + 1).astype(np.int64),
        unsafe=unsafe_cum[ends].astype(np.int64),
        n_routine=int(np.asarray(routine, dtype=bool).sum()),
        n_total=len(conf),
    )


def coverage_at(c: Curve, max_unsafe: float) -> float:
    """The curve's ceiling: best coverage over all cuts whose unsafe rate is ≤ ``max_unsafe``."""
    ok = c.unsafe_rate <= max_unsafe + 1e-12
    if not ok.any():
        return 0.0
    return float(c.coverage[ok].max())


def at_threshold(
    confidence: np.ndarray,
    routine: np.ndarray,
    correct: np.ndarray,
    threshold: float | np.ndarray,
) -> dict[str, float]:
    """Deflection (share of all rows answered locally), unsafe rate and coverage at one cut.

    ``threshold`` may be an array (one per row, e.g. per-intent thresholds).
    """
    conf = np.asarray(confidence, dtype=np.float64)
    routed = conf >= np.asarray(threshold, dtype=np.float64)
    safe = safe_mask(routine, correct)
    n_routed = int(routed.sum())
    n_routine = int(np.asarray(routine, dtype=bool).sum())
    return {
        "deflection": n_routed / max(len(conf), 1),
        "unsafe_rate": float((routed & ~safe).sum() / n_routed) if n_routed else 0.0,
        "coverage": float((routed & safe).sum() / max(n_routine, 1)),
    }


def auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve (ties count half); None when one side is empty."""
    s = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # average ranks over ties
    starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
    ends = np.r_[starts[1:], len(s)]
    for a, b in zip(starts, ends, strict=True):
        ranks[order[a:b]] = (a + b + 1) / 2.0
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
