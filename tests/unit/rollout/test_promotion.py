"""The promotion rule on its edge cases: no drafts, few drafts, all sent as-is, one miss at the
bar, a clearly better hosted model, an intent already in auto."""

from __future__ import annotations

import pytest

from policies.model import Evidence
from router.domain import Mode
from router.rollout.promotion import Counts, Recommendation, recommend, wilson_lower

RULE = Evidence(min_drafts=50, min_lower_bound=0.9)


def test_wilson_lower_bound_matches_the_textbook_values() -> None:
    # scipy.stats.binomtest(81, 100).proportion_ci(method="wilson").low == 0.72221...
    assert wilson_lower(81, 100) == pytest.approx(0.7222115, abs=1e-6)
    assert wilson_lower(50, 50) == pytest.approx(0.9286524, abs=1e-6)
    assert wilson_lower(0, 0) == 0.0
    assert wilson_lower(0, 10) == 0.0
    assert wilson_lower(10, 10, confidence=0.99) < wilson_lower(10, 10, confidence=0.9)
    with pytest.raises(ValueError):
        wilson_lower(11, 10)


def test_no_drafts_keeps_the_mode() -> None:
    v = recommend(Mode.ASSIST, Counts(), RULE)
    assert v.recommendation is Recommendation.KEEP and v.lower_bound == 0.0
    assert "no settled drafts" in v.why


def test_few_drafts_all_sent_as_is_is_not_enough() -> None:
    v = recommend(Mode.ASSIST, Counts(settled=49, usable=49), RULE)
    assert v.recommendation is Recommendation.KEEP and "49 of 50" in v.why


def test_enough_drafts_all_sent_as_is_promotes() -> None:
    v = recommend(Mode.ASSIST, Counts(settled=50, usable=50), RULE)
    assert v.recommendation is Recommendation.PROMOTE
    assert v.lower_bound == pytest.approx(0.9287, abs=1e-4)
    assert recommend(Mode.SHADOW, Counts(50, 50), RULE).recommendation is Recommendation.PROMOTE


def test_one_miss_in_fifty_is_under_a_090_bar_but_not_in_a_hundred() -> None:
    assert recommend(Mode.ASSIST, Counts(50, 49), RULE).recommendation is Recommendation.KEEP
    v = recommend(Mode.ASSIST, Counts(100, 99), RULE)
    assert v.recommendation is Recommendation.PROMOTE and v.lower_bound > 0.9


def test_none_usable_keeps_and_a_lower_bar_moves_the_line() -> None:
    assert recommend(Mode.ASSIST, Counts(80, 0), RULE).recommendation is Recommendation.KEEP
    lax = Evidence(min_drafts=10, min_lower_bound=0.6)
    assert recommend(Mode.ASSIST, Counts(10, 10), lax).recommendation is Recommendation.PROMOTE


def test_a_clearly_better_hosted_model_is_recommended() -> None:
    v = recommend(Mode.ASSIST, Counts(60, 30), RULE, paired_local=Counts(20, 8),
                  paired_llm=Counts(20, 17))
    assert v.recommendation is Recommendation.SEND_TO_LLM and "+45%" in v.why
    close = recommend(Mode.ASSIST, Counts(60, 30), RULE, paired_local=Counts(20, 15),
                      paired_llm=Counts(20, 16))
    assert close.recommendation is Recommendation.KEEP
    unmeasured = recommend(Mode.ASSIST, Counts(60, 30), RULE, paired_local=Counts(),
                           paired_llm=Counts())
    assert unmeasured.recommendation is Recommendation.KEEP


def test_an_intent_in_auto_stays_there() -> None:
    v = recommend(Mode.AUTO, Counts(5, 0), RULE)
    assert v.recommendation is Recommendation.IN_AUTO
