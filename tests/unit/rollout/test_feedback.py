"""What an agent did with a draft, on constructed pairs: identical, greeting and sign-off
around the draft, a small edit, a rewrite in other words, an unrelated reply, no reply."""

from __future__ import annotations

import pytest

from router.classify.embedder import get_encoder
from router.domain import FeedbackKind
from router.rollout.feedback import edit_distance, judge, normalise
from router.rollout.settings import FeedbackSettings

DEFAULT = FeedbackSettings()

DRAFT = ("You can track your order from the Orders page in your account: open the order and "
         "click Track package. Tracking updates within 24 hours of shipping.")
PAIRS = [
    ("identical", DRAFT, FeedbackKind.SENT_AS_IS),
    ("greeting and sign-off", f"Hi Ann,\n\n{DRAFT}\n\nBest regards,\nTom", FeedbackKind.SENT_AS_IS),
    ("case and spacing", DRAFT.upper().replace(" ", "  "), FeedbackKind.SENT_AS_IS),
    ("small edit", DRAFT.replace("within 24 hours", "within a day"), FeedbackKind.EDITED),
    ("sentence dropped", DRAFT.split(" Tracking")[0], FeedbackKind.EDITED),
    ("rewritten", "To see where your parcel is, sign in, go to Orders, choose the order and press "
     "Track package. The tracking link starts working about a day after we ship it.",
     FeedbackKind.REWRITTEN),
    ("unrelated: a refund", "I have issued a full refund to your card; it will show up in 5-7 "
     "business days.", FeedbackKind.IGNORED),
    ("unrelated: shipping", "Sorry, we do not ship to Canada at the moment.",
     FeedbackKind.IGNORED),
    ("no reply", None, FeedbackKind.IGNORED),
    ("empty reply", "  \n ", FeedbackKind.IGNORED),
]


@pytest.fixture(scope="module")
def embed():  # type: ignore[no-untyped-def]
    return get_encoder().encode


@pytest.mark.parametrize("what, reply, expected", PAIRS, ids=[p[0] for p in PAIRS])
def test_constructed_pairs(what: str, reply: str | None, expected: FeedbackKind,
                           embed) -> None:  # type: ignore[no-untyped-def]
    assert judge(DRAFT, reply, embed, DEFAULT).kind is expected


def test_measures_are_kept_for_the_report(embed) -> None:  # type: ignore[no-untyped-def]
    as_is = judge(DRAFT, DRAFT, embed, DEFAULT)
    assert (as_is.edit_distance, as_is.similarity) == (0.0, None)  # wording alone decided
    rewrite = judge(DRAFT, PAIRS[5][1], embed, DEFAULT)
    assert rewrite.edit_distance is not None and rewrite.edit_distance > 0.35
    assert rewrite.similarity is not None and rewrite.similarity >= 0.65
    none = judge(DRAFT, None, embed, DEFAULT)
    assert (none.edit_distance, none.similarity) == (None, None)


def test_wording_decides_without_an_encoder_and_a_rewrite_needs_one() -> None:
    assert judge(DRAFT, DRAFT, None, DEFAULT).kind is FeedbackKind.SENT_AS_IS
    with pytest.raises(ValueError, match="encoder"):
        judge(DRAFT, "Sorry, we do not ship to Canada.", None, DEFAULT)


def test_thresholds_are_settings(embed) -> None:  # type: ignore[no-untyped-def]
    small = DRAFT.replace("within 24 hours", "within a day")
    strict = FeedbackSettings(as_is_distance=0.0, edited_distance=0.01)
    assert judge(DRAFT, small, embed, strict).kind is FeedbackKind.REWRITTEN
    with pytest.raises(ValueError):
        FeedbackSettings(as_is_distance=0.5, edited_distance=0.1)


def test_normalise_and_distance() -> None:
    assert normalise("Hello Sam!\nYour  order\r\nshipped.\nThanks,\nMia") == "your order shipped."
    assert normalise("Thanks for waiting: it shipped.") == "thanks for waiting: it shipped."
    assert edit_distance("abc", "abc") == 0.0
    assert edit_distance("abcd", "abcx") == 0.25
    assert edit_distance("", "xyz") == 1.0
