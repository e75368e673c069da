"""``evaluate`` on a stratified slice of BANKING77-OOS: the real encoder, real data, sane floors.

The slice (20 intents, 25 training rows each, plus out-of-scope rows; full-data figures are
~0.11 higher) keeps the run short; the floors sit far below the full-data figures in
docs/CLASSIFIER_BENCH.md but far above what a broken confidence (random, or inverted) would give.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from router.classify.dataio import read_labelled_csv
from router.evaluate import METRIC_KEYS, evaluate_sets

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
DATA = SHARED / "banking77_oos"


def _slice(rows: list[tuple[str, str]], intents: set[str], per_intent: int, n_oos: int) -> list:
    buckets: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for text, intent in rows:
        if intent in intents and len(buckets[intent]) < per_intent:
            buckets[intent].append((text, intent))
        elif intent == "oos" and len(buckets["oos"]) < n_oos:
            buckets["oos"].append((text, intent))
    return [row for bucket in buckets.values() for row in bucket]


@pytest.mark.integration
def test_eval_on_banking_slice_beats_floors() -> None:
    if not (DATA / "train.csv").is_file():
        pytest.skip(f"public data not found at {DATA.resolve()}")
    train_all = read_labelled_csv(DATA / "train.csv", empty_text="skip")
    valid_all = read_labelled_csv(DATA / "valid.csv", min_classes=0, empty_text="keep")
    intents = sorted({i for _, i in train_all if i != "oos"})[::2][:20]
    train = _slice(train_all, set(intents), 25, 150)
    test = _slice(valid_all, set(intents), 15, 150)
    # tickets of another domain (a personal assistant's): every one must escalate
    foreign = [(t, "oos") for t, _ in read_labelled_csv(SHARED / "hwu64" / "valid.csv")[:200]]
    own_share = sum(1 for _, i in test if i == "oos") / len(test)
    scored = evaluate_sets(
        train, {"valid": (test, None), "foreign": (foreign, None)},
        oos_shares=(own_share, 0.5), targets=(0.10,),
    )
    result = scored["valid"]
    assert tuple(result) == METRIC_KEYS
    assert result["n_test"] == len(test)
    assert result["test_oos_share"] == round(own_share, 4)
    print(result)  # shown by pytest -s / on failure: the figures behind the floors
    assert result["intent_accuracy"] >= 0.70, result
    assert result["auroc"] >= 0.85, result
    assert result["coverage_at_5pct_unsafe"] >= 0.25, result
    assert result["coverage_at_10pct_unsafe"] >= result["coverage_at_5pct_unsafe"], result
    # the default share (0.5) on 375 training rows certifies little: safe, if not much
    assert result["unsafe_rate"] <= 0.06, result
    # at the slice's own share and a 10 % target: safe and useful
    at_own, at_half = result["operating_points"]
    assert at_own["oos_share"] == own_share and at_half["oos_share"] == 0.5
    assert at_own["unsafe_rate"] <= 0.11, at_own
    assert at_own["expected_unsafe_rate"] <= at_own["unsafe_bound"]
    assert at_half["deflection"] <= at_own["deflection"], result["operating_points"]
    # a router trained on banking must not answer an alarm clock request from a banking template
    assert scored["foreign"]["deflection"] <= 0.03, scored["foreign"]
