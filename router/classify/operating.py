"""Operating points: thresholds that keep local answers safe on the traffic the router will see.

A threshold's unsafe rate is a mix of two rates: how often out-of-scope tickets clear it (F)
and how often routine tickets clear it with the wrong intent. Both are estimated on evidence
the model did not train on (out-of-fold predictions at training time, labelled rows or logged
outcomes later) and combined at a *declared* out-of-scope share π of live traffic::

    unsafe(t) = (π·F + (1-π)·R·e) / (π·F + (1-π)·R),   deflection(t) = π·F + (1-π)·R

with R the share of routine tickets routed and e the wrong-intent rate among them. A training
file's own share says nothing about live traffic (public sets hold 1 % to 50 % `oos` rows), so
the share is a setting, not a by-product of the file.

Each rate comes from a few hundred tickets at best, so thresholds are chosen on an *upper
confidence bound* of the unsafe rate, not on the point estimate: Clopper–Pearson intervals for
F, R and e (the unsafe rate rises with F and e and falls with R, so the corner of the three
intervals bounds it; each interval gets a third of the error budget). Per-intent thresholds
leave the global one only where the intent's own evidence says so; see
:func:`per_intent_thresholds`.

Pure numpy/scipy over plain arrays: training, ``deskroute calibrate``, ``deskroute eval`` and
the benchmarks all call these functions, and this module imports nothing else of the router.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Confidence of the bounds: the unsafe rate stays under the bound with this probability (per
# threshold; thresholds are picked from a few hundred correlated cuts, see CLASSIFIER_BENCH.md).
CONFIDENCE = 0.9
# The share of live tickets that must escalate, for users who do not know theirs: above most
# helpdesks' (10-30 %), at BANKING77-OOS's held-out share (about half), so thresholds err safe.
DEFAULT_OOS_SHARE = 0.5


@dataclass(frozen=True)
class Outcomes:
    """One row per ticket: how confident the router was, in what, and whether it was safe.

    ``routine`` marks tickets the router may answer (labelled evidence: intent known and not
    ``oos``); None means every row is routine, as for logged outcomes of local answers, where
    an unsafe answer cannot be told apart into out-of-scope or wrong intent.
    """

    confidence: np.ndarray
    intent: np.ndarray
    safe: np.ndarray
    routine: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.confidence)
        if not (n == len(self.intent) == len(self.safe)):
            raise ValueError("confidence, intent and safe must have the same length")
        if self.routine is not None and len(self.routine) != n:
            raise ValueError("routine must have one row per outcome")

    @property
    def in_scope(self) -> np.ndarray:
        if self.routine is None:
            return np.ones(len(self.confidence), dtype=bool)
        return np.asarray(self.routine, dtype=bool)

    def subset(self, mask: np.ndarray) -> Outcomes:
        return Outcomes(
            self.confidence[mask],
            self.intent[mask],
            self.safe[mask],
            None if self.routine is None else self.routine[mask],
        )


@dataclass(frozen=True)
class Estimate:
    """What one set of cuts does to traffic with out-of-scope share ``oos_share``."""

    oos_share: float
    deflection: float  # share of all tickets answered locally
    deflection_low: float
    deflection_high: float
    unsafe_rate: float  # unsafe share of local answers (point estimate)
    unsafe_bound: float  # its upper confidence bound
    confidence: float = CONFIDENCE

    def to_json(self) -> dict[str, float]:
        return {
            "oos_share": round(self.oos_share, 4),
            "deflection": round(self.deflection, 4),
            "deflection_low": round(self.deflection_low, 4),
            "deflection_high": round(self.deflection_high, 4),
            "unsafe_rate": round(self.unsafe_rate, 4),
            "unsafe_bound": round(self.unsafe_bound, 4),
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    intent_thresholds: dict[str, float] = field(default_factory=dict)
    estimate: Estimate | None = None

    def cuts(self, intents: np.ndarray) -> np.ndarray:
        """The cut each row faces: its intent's threshold, never below the global one's floor."""
        return np.array(
            [self.intent_thresholds.get(str(i), self.threshold) for i in intents],
            dtype=np.float64,
        )


def _beta_ppf(q: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy.stats import beta

    return np.asarray(beta.ppf(q, a, b), dtype=np.float64)


def cp_upper(k: np.ndarray | int, n: np.ndarray | int, alpha: float) -> np.ndarray:
    """One-sided Clopper–Pearson upper bound of a proportion k/n at level 1-alpha (n=0 → 1)."""
    k_arr = np.asarray(k, dtype=np.float64)
    n_arr = np.broadcast_to(np.asarray(n, dtype=np.float64), k_arr.shape)
    out = np.ones(k_arr.shape, dtype=np.float64)
    ok = (k_arr < n_arr) & (n_arr > 0)
    if ok.any():
        out[ok] = _beta_ppf(1 - alpha, k_arr[ok] + 1, n_arr[ok] - k_arr[ok])
    return out


def cp_lower(k: np.ndarray | int, n: np.ndarray | int, alpha: float) -> np.ndarray:
    """One-sided Clopper–Pearson lower bound of a proportion k/n at level 1-alpha (k=0 → 0)."""
    k_arr = np.asarray(k, dtype=np.float64)
    n_arr = np.broadcast_to(np.asarray(n, dtype=np.float64), k_arr.shape)
    out = np.zeros(k_arr.shape, dtype=np.float64)
    ok = (k_arr > 0) & (n_arr > 0)
    if ok.any():
        out[ok] = _beta_ppf(alpha, k_arr[ok], n_arr[ok] - k_arr[ok] + 1)
    return out


@dataclass(frozen=True)
class Counts:
    """Counts behind one or many cuts (arrays broadcast together)."""

    oos_routed: np.ndarray  # out-of-scope rows over the cut
    n_oos: int
    routine_routed: np.ndarray  # routine rows over the cut
    wrong: np.ndarray  # of which with the wrong intent
    n_routine: int


def _ratio(num: np.ndarray, den: np.ndarray, empty: float) -> np.ndarray:
    return np.divide(num, den, out=np.full(np.shape(num), empty), where=den > 0)


def _alpha(share: float, confidence: float) -> float:
    """Error budget per interval: three rates matter for a mix; at share 0 the unsafe rate is
    the wrong-intent rate alone (R cancels), at share 1 everything routed is unsafe."""
    return (1 - confidence) / (3 if 0.0 < share < 1.0 else 1)


def mix(counts: Counts, share: float, confidence: float = CONFIDENCE) -> dict[str, np.ndarray]:
    """Deflection and unsafe rate (point, bounds) of traffic with out-of-scope share ``share``.

    With no out-of-scope evidence at all, F's interval is [0, 1]: nothing can be promised for
    a positive share, which is the honest answer.
    """
    alpha = _alpha(share, confidence)
    pi = float(share)
    c = counts
    f = _ratio(c.oos_routed.astype(float), np.full(np.shape(c.oos_routed), float(c.n_oos)), 0.0)
    r = c.routine_routed / max(c.n_routine, 1)
    e = _ratio(c.wrong.astype(float), c.routine_routed.astype(float), 0.0)
    f_hi, f_lo = cp_upper(c.oos_routed, c.n_oos, alpha), cp_lower(c.oos_routed, c.n_oos, alpha)
    r_hi = cp_upper(c.routine_routed, c.n_routine, alpha)
    r_lo = cp_lower(c.routine_routed, c.n_routine, alpha)
    e_hi = cp_upper(c.wrong, c.routine_routed, alpha)
    if c.n_routine == 0:
        r, r_hi, r_lo = np.zeros_like(r), np.zeros_like(r), np.zeros_like(r)
    unsafe_mass = pi * f + (1 - pi) * r * e
    routed_mass = pi * f + (1 - pi) * r
    bound_num = pi * f_hi + (1 - pi) * r_lo * e_hi
    bound_den = pi * f_hi + (1 - pi) * r_lo
    return {
        "deflection": routed_mass,
        "deflection_low": pi * f_lo + (1 - pi) * r_lo,
        "deflection_high": pi * f_hi + (1 - pi) * r_hi,
        "unsafe_rate": _ratio(unsafe_mass, routed_mass, 0.0),
        "unsafe_bound": _ratio(bound_num, bound_den, 1.0),
    }


def _sorted_counts(outcomes: Outcomes) -> tuple[np.ndarray, Counts]:
    """Distinct cuts (highest first) and the counts over each (ties share one cut)."""
    conf = np.asarray(outcomes.confidence, dtype=np.float64)
    routine = outcomes.in_scope
    safe = np.asarray(outcomes.safe, dtype=bool) & routine
    order = np.argsort(-conf, kind="stable")
    ends = np.flatnonzero(np.r_[conf[order][1:] != conf[order][:-1], True])
    cum = lambda mask: np.cumsum(mask[order])[ends]  # noqa: E731
    counts = Counts(
        oos_routed=cum(~routine),
        n_oos=int((~routine).sum()),
        routine_routed=cum(routine),
        wrong=cum(routine & ~safe),
        n_routine=int(routine.sum()),
    )
    return conf[order][ends], counts


def _nothing_routed(outcomes: Outcomes) -> float:
    conf = np.asarray(outcomes.confidence, dtype=np.float64)
    return float(min(1.0, conf.max() + 1e-6)) if len(conf) else 1.0


def bounded_threshold(
    outcomes: Outcomes, target_unsafe: float, share: float, confidence: float = CONFIDENCE
) -> float:
    """Lowest cut whose unsafe-rate bound at ``share`` is ≤ target (most tickets answered);
    above every confidence (route nothing) if no cut qualifies."""
    if len(outcomes.confidence) == 0:
        return 1.0
    cuts, counts = _sorted_counts(outcomes)
    bound = mix(counts, share, confidence)["unsafe_bound"]
    ok = np.flatnonzero(bound <= target_unsafe + 1e-12)
    return float(cuts[ok[-1]]) if len(ok) else _nothing_routed(outcomes)


def estimate(
    outcomes: Outcomes, cuts: np.ndarray | float, share: float, confidence: float = CONFIDENCE
) -> Estimate:
    """Deflection and unsafe rate, with bounds, of per-row ``cuts`` at ``share``."""
    routed = np.asarray(outcomes.confidence, dtype=np.float64) >= np.asarray(cuts)
    routine = outcomes.in_scope
    safe = np.asarray(outcomes.safe, dtype=bool) & routine
    counts = Counts(
        oos_routed=np.array([(routed & ~routine).sum()]),
        n_oos=int((~routine).sum()),
        routine_routed=np.array([(routed & routine).sum()]),
        wrong=np.array([(routed & routine & ~safe).sum()]),
        n_routine=int(routine.sum()),
    )
    m = {k: float(v[0]) for k, v in mix(counts, share, confidence).items()}
    return Estimate(oos_share=share, confidence=confidence, **m)


def per_intent_thresholds(
    outcomes: Outcomes,
    global_threshold: float,
    target_unsafe: float,
    share: float,
    confidence: float = CONFIDENCE,
) -> dict[str, float]:
    """Per-intent cuts where an intent's own evidence contradicts the global one, else none.

    Shrinkage by evidence: an intent goes *laxer* than the global cut only as far as its own
    bound (its tickets alone, same share and confidence) stays under the target, and *stricter*
    only when even its lower bound at the global cut is over the target — then to the lowest
    cut whose point estimate meets the target. An intent with few tickets has wide intervals
    that decide neither way, so it keeps the global cut: it neither blocks itself nor slips
    through on a handful of lucky tickets. An intent's out-of-scope rate is counted against
    all out-of-scope evidence (F is the share of *all* out-of-scope traffic that lands on it),
    so an intent that attracts out-of-scope tickets pays for them.
    """
    alpha = _alpha(share, confidence)
    result: dict[str, float] = {}
    routine_all = outcomes.in_scope
    n_oos, n_routine = int((~routine_all).sum()), int(routine_all.sum())
    for intent in sorted({str(i) for i in outcomes.intent.tolist()}):
        mask = outcomes.intent == intent
        if not (mask & routine_all).any():
            continue
        sub = outcomes.subset(mask)
        cuts, counts = _sorted_counts(sub)
        counts = Counts(counts.oos_routed, n_oos, counts.routine_routed, counts.wrong, n_routine)
        m = mix(counts, share, confidence)
        below = np.flatnonzero((cuts < global_threshold) & (m["unsafe_bound"] <= target_unsafe))
        if len(below):
            result[intent] = float(cuts[below[-1]])
            continue
        at = np.flatnonzero(cuts >= global_threshold)
        if not len(at):
            continue
        # lower bound of the unsafe rate at the global cut: the other corner of the intervals
        i = at[-1]
        f_lo = cp_lower(counts.oos_routed[i], n_oos, alpha)
        r_hi = cp_upper(counts.routine_routed[i], n_routine, alpha)
        e_lo = cp_lower(counts.wrong[i], counts.routine_routed[i], alpha)
        num = share * f_lo + (1 - share) * r_hi * e_lo
        den = share * f_lo + (1 - share) * r_hi
        if den > 0 and float(num / den) > target_unsafe:
            ok = np.flatnonzero((cuts > global_threshold) & (m["unsafe_rate"] <= target_unsafe))
            result[intent] = float(cuts[ok[-1]]) if len(ok) else _nothing_routed(sub)
    return result


def choose(
    outcomes: Outcomes,
    target_unsafe: float,
    share: float,
    *,
    confidence: float = CONFIDENCE,
    per_intent: bool = True,
) -> OperatingPoint:
    """The operating point for ``target_unsafe`` at out-of-scope share ``share``: the global cut
    on the bound, per-intent cuts where the evidence says so, and what the whole gives."""
    check_fraction("target unsafe rate", target_unsafe)
    check_fraction("out-of-scope share", share)
    t = bounded_threshold(outcomes, target_unsafe, share, confidence)
    per = per_intent_thresholds(outcomes, t, target_unsafe, share, confidence) if per_intent else {}
    point = OperatingPoint(t, per)
    est = estimate(outcomes, point.cuts(outcomes.intent), share, confidence)
    if per and est.unsafe_bound > target_unsafe + 1e-12:
        # laxer intents together overshoot: keep only the stricter cuts
        point = OperatingPoint(t, {k: v for k, v in per.items() if v > t})
        est = estimate(outcomes, point.cuts(outcomes.intent), share, confidence)
    return OperatingPoint(point.threshold, point.intent_thresholds, est)


def check_fraction(what: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} must be between 0 and 1 (got {value})")


def pick_threshold(confidence: np.ndarray, safe: np.ndarray, target_unsafe: float) -> float:
    """Lowest threshold whose routed set has an empirical unsafe share ≤ target, no bound and
    no mixing: the naive baseline's rule, kept so the benchmark measures it as it was."""
    check_fraction("target unsafe rate", target_unsafe)
    conf = np.asarray(confidence, dtype=np.float64)
    if len(conf) == 0:
        return 1.0
    from router.classify.metrics import curve

    c = curve(conf, np.ones(len(conf), dtype=bool), np.asarray(safe, dtype=bool))
    ok = np.flatnonzero(c.unsafe_rate <= target_unsafe + 1e-12)
    if len(ok) == 0:
        return float(min(1.0, conf.max() + 1e-6))
    best = ok[np.argmax(c.routed[ok] - c.unsafe[ok])]
    return float(c.thresholds[best])


def pick_threshold_for_share(
    outcomes: Outcomes, target_llm_share: float, share: float = DEFAULT_OOS_SHARE
) -> float:
    """Threshold that escalates about ``target_llm_share`` of live tickets (a cost budget in
    disguise: budget per ticket / cost per hosted call = the share the budget allows). With
    labelled evidence the rows are weighted to the out-of-scope ``share`` of live traffic."""
    check_fraction("target LLM share", target_llm_share)
    conf = np.asarray(outcomes.confidence, dtype=np.float64)
    if len(conf) == 0:
        return 1.0
    if target_llm_share >= 1.0:
        return _nothing_routed(outcomes)
    routine = outcomes.in_scope
    weights = np.ones(len(conf))
    if outcomes.routine is not None and routine.any() and (~routine).any():
        weights = np.where(routine, (1 - share) / routine.sum(), share / (~routine).sum())
    order = np.argsort(conf, kind="stable")
    cum = np.cumsum(weights[order]) / weights.sum()  # share of the lowest 1, 2, ... rows
    # escalate the fewest lowest rows whose weight reaches the target: cut at the next one
    k = 0 if target_llm_share <= 0 else int(np.searchsorted(cum, target_llm_share - 1e-12)) + 1
    return float(conf[order][k]) if k < len(conf) else _nothing_routed(outcomes)


def measure_share(
    evidence: Outcomes, live_confidence: np.ndarray, *, points: int = 9, seed: int = 0
) -> dict[str, Any]:
    """Out-of-scope share of live traffic from its confidences alone (no labels needed).

    Label-shift estimation: on the evidence, a fraction R(t) of routine and F(t) of
    out-of-scope tickets clear each cut t; live traffic with share π clears it at
    (1-π)·R(t) + π·F(t). π is the least-squares fit over ``points`` cuts (quantiles of the
    evidence), clipped to [0, 1]; the interval is a bootstrap over the live tickets. Live
    out-of-scope tickets unlike the evidence's usually score lower still, which reads as a
    higher share: the estimate errs towards caution.
    """
    conf = np.asarray(evidence.confidence, dtype=np.float64)
    routine = evidence.in_scope
    live = np.asarray(live_confidence, dtype=np.float64)
    if routine.all() or not routine.any():
        raise ValueError("measuring the share needs evidence of both routine and out-of-scope")
    if len(live) == 0:
        raise ValueError("no logged confidences to measure the share from")
    cuts = np.quantile(conf, np.linspace(0.1, 0.9, points))
    r = (conf[routine][:, None] >= cuts).mean(axis=0)
    f = (conf[~routine][:, None] >= cuts).mean(axis=0)
    d = r - f
    if not np.any(np.abs(d) > 1e-9):
        raise ValueError("the classifier's confidence does not separate routine from out of scope")

    def fit(sample: np.ndarray) -> float:
        q = (sample[:, None] >= cuts).mean(axis=0)
        return float(np.clip(np.dot(d, r - q) / np.dot(d, d), 0.0, 1.0))

    rng = np.random.default_rng(seed)
    boot = [fit(live[rng.integers(0, len(live), len(live))]) for _ in range(200)]
    lo, hi = np.quantile(boot, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return {"oos_share": round(fit(live), 4), "low": round(float(lo), 4),
            "high": round(float(hi), 4), "tickets": len(live)}


def calibrate_outcomes(
    outcomes: Outcomes,
    *,
    target_unsafe: float | None = None,
    target_llm_share: float | None = None,
    share: float = DEFAULT_OOS_SHARE,
    confidence: float = CONFIDENCE,
    per_intent: bool = True,
) -> OperatingPoint:
    """The operating point for exactly one target: an unsafe rate (bounded, at ``share``) or a
    share of tickets for the hosted LLM (a budget; no per-intent cuts)."""
    if (target_unsafe is None) == (target_llm_share is None):
        raise ValueError("give exactly one of target_unsafe or target_llm_share")
    if target_llm_share is not None:
        t = pick_threshold_for_share(outcomes, target_llm_share, share)
        return OperatingPoint(t, {}, estimate(outcomes, t, share, confidence))
    assert target_unsafe is not None
    return choose(outcomes, target_unsafe, share, confidence=confidence, per_intent=per_intent)
