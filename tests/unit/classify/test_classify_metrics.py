"""The routing metrics on hand-made examples whose values were worked out on paper."""

from __future__ import annotations

import numpy as np
import pytest

from router.classify.metrics import at_threshold, auroc, coverage_at, curve
from router.classify.operating import (
    Outcomes,
    calibrate_outcomes,
    pick_threshold,
    pick_threshold_for_share,
)
from router.evaluate import METRIC_KEYS, routing_metrics

# 10 rows, sorted by confidence. routine: 1 = intent known; correct: prediction right.
CONF = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
ROUTINE = np.array([1, 1, 1, 0, 1, 1, 1, 0, 1, 0], dtype=bool)
CORRECT = np.array([1, 1, 1, 0, 1, 0, 1, 0, 1, 0], dtype=bool)
# safe:              1  1  1  0  1  0  1  0  1  0   → 6 safe, 7 routine


def test_curve_counts() -> None:
    c = curve(CONF, ROUTINE, CORRECT)
    assert c.routed.tolist() == list(range(1, 11))
    assert c.unsafe.tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3, 4]
    assert c.n_routine == 7


def test_coverage_at_targets() -> None:
    c = curve(CONF, ROUTINE, CORRECT)
    # unsafe ≤ 5 %: only the first three rows → 3 of 7 routine rows
    assert coverage_at(c, 0.05) == pytest.approx(3 / 7)
    # unsafe ≤ 20 %: first five rows (1 unsafe of 5) → 4/7
    assert coverage_at(c, 0.20) == pytest.approx(4 / 7)
    # unsafe ≤ 1/3: first nine rows (3 of 9) → 6/7
    assert coverage_at(c, 1 / 3) == pytest.approx(6 / 7)


def test_ties_share_one_cut() -> None:
    c = curve(np.array([0.9, 0.9, 0.1]), np.array([1, 1, 1], bool), np.array([1, 0, 1], bool))
    assert c.routed.tolist() == [2, 3]
    assert coverage_at(c, 0.05) == 0.0


def test_at_threshold() -> None:
    stats = at_threshold(CONF, ROUTINE, CORRECT, 0.65)
    assert stats["deflection"] == pytest.approx(0.5)
    assert stats["unsafe_rate"] == pytest.approx(1 / 5)
    assert stats["coverage"] == pytest.approx(4 / 7)
    nothing = at_threshold(CONF, ROUTINE, CORRECT, 2.0)
    assert nothing == {"deflection": 0.0, "unsafe_rate": 0.0, "coverage": 0.0}


def test_auroc_known_values() -> None:
    assert auroc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0], bool)) == 1.0
    assert auroc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([1, 1, 0, 0], bool)) == 0.0
    # one inverted pair of four: 3/4; ties count half
    assert auroc(np.array([0.9, 0.3, 0.5, 0.1]), np.array([1, 1, 0, 0], bool)) == 0.75
    assert auroc(np.array([0.5, 0.5]), np.array([1, 0], bool)) == 0.5
    assert auroc(np.array([0.5, 0.4]), np.array([1, 1], bool)) is None


def test_routing_metrics_keys_and_values() -> None:
    labels = ["a", "a", "b", "oos", "b", "c", "zzz"]
    pred = ["a", "a", "b", "a", "c", "c", "a"]
    conf = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    m = routing_metrics(conf, pred, labels, {"a", "b", "c"}, 0.55)
    assert set(m) <= set(METRIC_KEYS)
    # routine rows: a, a, b, b, c (oos and unknown 'zzz' must escalate); 4 of 5 right
    assert m["intent_accuracy"] == 0.8
    assert m["n_test"] == 7
    assert m["deflection"] == pytest.approx(round(4 / 7, 4))  # four rows ≥ 0.55
    assert m["unsafe_rate"] == 0.25  # the oos row
    assert m["coverage_at_5pct_unsafe"] == 0.6  # first three rows, all safe → 3/5
    # escalate rows at 0.6 and 0.3: 3 + 5 of 10 (routine, escalate) pairs ordered right
    assert m["auroc"] == 0.8


def test_pick_threshold_maximises_coverage_within_target() -> None:
    safe = ROUTINE & CORRECT
    assert pick_threshold(CONF, safe, 0.0) == 0.85
    assert pick_threshold(CONF, safe, 0.2) == 0.7
    # no cut meets the target: route nothing
    assert pick_threshold(np.array([0.9, 0.8]), np.array([0, 0], bool), 0.05) > 0.9
    with pytest.raises(ValueError):
        pick_threshold(CONF, safe, 1.5)


def test_threshold_for_llm_share() -> None:
    conf = np.linspace(0.0, 0.99, 100)
    outcomes = Outcomes(conf, np.full(100, "a", dtype=object), np.ones(100, bool))
    for target in (0.0, 0.3, 1.0):
        t = pick_threshold_for_share(outcomes, target)
        assert (conf < t).mean() == pytest.approx(target, abs=0.011)


def test_llm_share_of_labelled_rows_is_weighted_to_the_declared_share() -> None:
    # 50 routine rows at high confidence, 50 out-of-scope ones at low confidence: traffic with
    # 20 % out of scope escalates 20 % by escalating exactly the out-of-scope rows
    routine = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    conf = np.r_[np.linspace(0.6, 1, 50), np.linspace(0, 0.4, 50)]
    outcomes = Outcomes(conf, np.full(100, "a", dtype=object), routine, routine)
    assert pick_threshold_for_share(outcomes, 0.2, share=0.2) == 0.6
    point = calibrate_outcomes(outcomes, target_llm_share=0.2, share=0.2)
    assert point.estimate is not None and point.estimate.deflection == pytest.approx(0.8)


def test_calibrate_outcomes_needs_exactly_one_target() -> None:
    outcomes = Outcomes(CONF, np.full(10, "a", dtype=object), ROUTINE & CORRECT, ROUTINE)
    with pytest.raises(ValueError):
        calibrate_outcomes(outcomes)
    with pytest.raises(ValueError):
        calibrate_outcomes(outcomes, target_unsafe=0.05, target_llm_share=0.3)
