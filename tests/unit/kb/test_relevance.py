"""Answer only what an approved answer covers (issue 11 item 1), on the shipped demo KB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from router.answering.local import LocalAnswerer
from router.answering.relevance import RelevanceCheck, missing_key_terms
from router.answering.result import NO_COVER_REASON
from router.kb.importers import ensure_default_kb
from router.kb.retrieve import KnowledgeBase, Passage
from router.kb.settings import KBSettings
from router.store.db import session_factory, unit_of_work


@pytest.fixture(scope="module")
def shop_kb(tmp_path_factory: pytest.TempPathFactory, encoder: Any) -> KnowledgeBase:
    from router.store.db import get_engine
    from router.store.models import Base

    folder = tmp_path_factory.mktemp("shop")
    url = f"sqlite:///{folder / 'kb.db'}"
    Base.metadata.create_all(get_engine(url))
    with unit_of_work(url) as session:
        ensure_default_kb(session)
    with session_factory(url)() as session:
        return KnowledgeBase.from_session(session, kb_dir=folder, encoder=encoder)


@pytest.fixture(scope="module")
def encoder() -> Any:
    from router.classify.embedder import get_encoder

    return get_encoder()


def answer(kb: KnowledgeBase, text: str, intent: str, **settings: Any) -> Any:
    return LocalAnswerer(KBSettings(dir=Path("unused"), **settings), kb).answer(text, intent)


def test_do_you_ship_to_canada_is_not_answered_with_the_shipping_times(
        shop_kb: KnowledgeBase) -> None:
    res = answer(shop_kb, "Do you ship to Canada?", "shipping_time")
    assert not res.verdict.accepted and res.draft.text == ""
    assert res.verdict.reasons[0].startswith(NO_COVER_REASON)
    assert "canada" in res.verdict.reasons[0]


def test_a_covered_question_is_answered_with_its_approved_answer(shop_kb: KnowledgeBase) -> None:
    res = answer(shop_kb, "How long does standard shipping take?", "shipping_time")
    assert res.verdict.accepted and res.source_intent == "shipping_time"
    assert res.relevance is not None and res.relevance > 0.6


@pytest.mark.parametrize(("text", "intent"), [
    ("Can I pay with Bitcoin?", "payment_methods"),  # close wording, uncovered method
    ("Can I return a sale item?", "return_policy"),
    ("Do you sell replacement parts for the desk lamp?", "product_availability"),
])
def test_close_but_uncovered_questions_escalate(shop_kb: KnowledgeBase, text: str,
                                                intent: str) -> None:
    res = answer(shop_kb, text, intent)
    assert not res.verdict.accepted and res.verdict.reasons[0].startswith(NO_COVER_REASON)


def test_the_floor_is_calibrated_from_the_knowledge_base_itself(shop_kb: KnowledgeBase) -> None:
    wrong = shop_kb.wrong_topic_scores()
    assert len(wrong) == len(shop_kb) and list(wrong) == sorted(wrong)
    low, high = RelevanceCheck(None, 0.25, 0.0), RelevanceCheck(None, 0.9, 0.0)
    assert low.floor(shop_kb) < high.floor(shop_kb)  # type: ignore[operator]
    assert RelevanceCheck(0.42, 0.75, 0.0).floor(shop_kb) == 0.42  # an explicit floor wins


def test_an_explicit_floor_and_margin_refuse_with_the_figures(shop_kb: KnowledgeBase) -> None:
    res = answer(shop_kb, "How long does standard shipping take?", "shipping_time",
                 min_relevance=0.99)
    assert "relevance" in res.verdict.reasons[0] and "< 0.99" in res.verdict.reasons[0]
    # the classifier's intent loses to another topic: ambiguous, so not covered
    res = answer(shop_kb, "How do I reset my password?", "discount_code")
    assert not res.verdict.accepted


def test_key_terms_are_looked_for_in_the_question_too() -> None:
    p = Passage(1, "Can I pay with PayPal?", "Yes, at checkout.", "payment_methods", 0.9)
    assert missing_key_terms("Do you take PayPal?", p) == []
    assert missing_key_terms("Do you take Klarna or PayPal?", p) == ["klarna"]
