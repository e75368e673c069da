"""Operating points for a declared out-of-scope share, on bounds: worked values and simulations.

The simulations draw evidence from a known model of the classifier (routine tickets: high
confidence, mostly the right intent; out-of-scope ones: lower confidence), so the true unsafe
rate of any threshold at any share can be computed exactly and compared with the promise.
"""

from __future__ import annotations

import numpy as np
import pytest

from router.classify.operating import (
    Outcomes,
    _sorted_counts,
    choose,
    cp_lower,
    cp_upper,
    estimate,
    measure_share,
    mix,
    per_intent_thresholds,
)


def test_clopper_pearson_closed_forms() -> None:
    # k = 0: upper = 1 - alpha^(1/n); k = n: lower = alpha^(1/n)
    assert cp_upper(0, 10, 0.05)[()] == pytest.approx(1 - 0.05 ** (1 / 10))
    assert cp_lower(10, 10, 0.05)[()] == pytest.approx(0.05 ** (1 / 10))
    assert cp_upper(10, 10, 0.05)[()] == 1.0 and cp_lower(0, 10, 0.05)[()] == 0.0
    assert cp_upper(0, 0, 0.05)[()] == 1.0  # no evidence: anything is possible
    k, n = np.array([3, 30]), np.array([10, 100])
    assert (cp_lower(k, n, 0.05) < k / n).all() and (k / n < cp_upper(k, n, 0.05)).all()


def _simulate(rng: np.random.Generator, n_routine: int, n_oos: int) -> Outcomes:
    """Routine confidence ~ Beta(8, 2), right intent with probability rising with confidence;
    out-of-scope confidence ~ Beta(2, 5). Two intents; out-of-scope lands on 'b' mostly."""
    conf_r = rng.beta(8, 2, n_routine)
    right = rng.uniform(size=n_routine) < 0.6 + 0.4 * conf_r
    conf_o = rng.beta(2, 5, n_oos)
    intent = np.r_[rng.choice(["a", "b"], n_routine), rng.choice(["a", "b"], n_oos, p=[0.2, 0.8])]
    conf = np.r_[conf_r, conf_o]
    routine = np.r_[np.ones(n_routine, bool), np.zeros(n_oos, bool)]
    return Outcomes(conf, intent.astype(object), np.r_[right, np.zeros(n_oos, bool)], routine)


def _true_unsafe(t: float, share: float) -> float:
    """Exact unsafe rate of one global cut under the model of :func:`_simulate`."""
    from scipy.stats import beta

    f = beta.sf(t, 2, 5)
    r = beta.sf(t, 8, 2)
    # ∫_t^1 pdf(c; 8, 2)·0.4·(1 - c) dc, with E[c; c > t] = 0.8·sf(t; 9, 2)
    wrong = 0.4 * (r - 0.8 * beta.sf(t, 9, 2))
    return (share * f + (1 - share) * wrong) / (share * f + (1 - share) * r)


def test_more_out_of_scope_traffic_means_a_stricter_cut_and_the_promise_is_kept() -> None:
    rng = np.random.default_rng(0)
    evidence = _simulate(rng, 3000, 600)
    low = choose(evidence, 0.08, 0.1, per_intent=False)
    high = choose(evidence, 0.08, 0.5, per_intent=False)
    assert high.threshold > low.threshold
    for point, share in ((low, 0.1), (high, 0.5)):
        assert point.estimate is not None
        assert point.estimate.unsafe_rate <= point.estimate.unsafe_bound <= 0.08
        assert _true_unsafe(point.threshold, share) <= 0.08 + 0.005
        assert point.estimate.deflection_low <= point.estimate.deflection
        assert point.estimate.deflection <= point.estimate.deflection_high


def test_the_bound_holds_on_most_draws_with_little_evidence() -> None:
    """At 90 % confidence the true unsafe rate of the chosen cut exceeds the target on about
    one draw in ten at most; picking on the point estimate instead fails about half the time."""
    rng = np.random.default_rng(1)
    over_bound, over_point = 0, 0
    draws = 60
    for _ in range(draws):
        evidence = _simulate(rng, 400, 80)
        bounded = choose(evidence, 0.08, 0.3, per_intent=False)
        over_bound += _true_unsafe(bounded.threshold, 0.3) > 0.08
        cuts, counts = _sorted_counts(evidence)
        ok = np.flatnonzero(mix(counts, 0.3)["unsafe_rate"] <= 0.08)
        over_point += _true_unsafe(float(cuts[ok[-1]]), 0.3) > 0.08
    assert over_bound <= 0.15 * draws
    assert over_point >= 0.3 * draws


def test_without_out_of_scope_evidence_nothing_is_promised_for_a_positive_share() -> None:
    rng = np.random.default_rng(2)
    routine_only = Outcomes(rng.uniform(0.5, 1, 500), np.full(500, "a", dtype=object),
                            np.ones(500, bool), np.ones(500, bool))
    assert choose(routine_only, 0.05, 0.0).estimate.deflection > 0.9  # type: ignore[union-attr]
    nothing = choose(routine_only, 0.05, 0.2)
    assert nothing.threshold > routine_only.confidence.max()


def test_per_intent_cuts_move_only_on_evidence() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    conf = rng.uniform(0, 1, n)
    intent = rng.choice(["clean", "risky", "mixed"], n).astype(object)
    routine = np.ones(n, bool)
    # 'risky' is wrong half the time below 0.9; 'clean' never; 'mixed' sometimes
    wrong = np.where(intent == "risky", (conf < 0.9) & (rng.uniform(size=n) < 0.5),
                     (intent == "mixed") & (rng.uniform(size=n) < 0.12 * (1 - conf)))
    # a tiny intent, always right: too few tickets to earn its own cut either way
    conf = np.r_[conf, rng.uniform(0.3, 1, 8)]
    intent = np.r_[intent, np.full(8, "tiny", dtype=object)]
    routine = np.r_[routine, np.ones(8, bool)]
    safe = np.r_[~wrong, np.ones(8, bool)]
    evidence = Outcomes(conf, intent, safe, routine)
    point = choose(evidence, 0.05, 0.0, per_intent=False)
    per = per_intent_thresholds(evidence, point.threshold, 0.05, 0.0)
    assert per["clean"] < point.threshold  # certified on its own tickets: laxer
    assert per["risky"] > point.threshold  # demonstrably worse at the global cut: stricter
    assert "tiny" not in per
    both = choose(evidence, 0.05, 0.0)
    assert both.estimate is not None and both.estimate.unsafe_bound <= 0.05
    plain = estimate(evidence, point.threshold, 0.0)
    assert both.estimate.deflection > plain.deflection  # per-intent cuts answer more


def test_measured_share_recovers_the_mix_of_live_traffic() -> None:
    rng = np.random.default_rng(4)
    evidence = _simulate(rng, 3000, 1000)
    for share in (0.1, 0.5):
        n_oos = int(2000 * share)
        live = np.r_[rng.beta(8, 2, 2000 - n_oos), rng.beta(2, 5, n_oos)]
        got = measure_share(evidence, live)
        assert got["oos_share"] == pytest.approx(share, abs=0.05)
        assert got["low"] <= share + 0.02 and share - 0.02 <= got["high"]
        assert got["tickets"] == 2000
    with pytest.raises(ValueError, match="no logged"):
        measure_share(evidence, np.zeros(0))
