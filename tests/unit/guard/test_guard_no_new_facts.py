"""Issue 11's examples, each of which reached a customer or was accepted, now refused.

Plus the rule behind each: claims (statuses, dates, delays, prices, policies, places, brands,
names) must come from an approved answer (or a statement in the ticket), meta-text and echoes
are not replies. Approved answers themselves, and faithful rewrites of them, still pass.
"""

from __future__ import annotations

import pytest

from router.guard.claims import find_claims, stated, unsupported_claims
from router.guard.reply import echoes, meta_text, not_a_reply
from router.guard.verify import verify_draft

ORDER_STATUS = ("You can follow your order under My Account > Orders or at "
                "https://help.northwind.example/orders/track. Enter your order number to see "
                "its current status and the tracking link from the carrier once the parcel has "
                "shipped.")
SHIPPING = ("Standard shipping takes 3 to 5 business days and express shipping takes 1 to 2 "
            "business days after your order has been dispatched. Details are at "
            "https://help.northwind.example/shipping.")
PAYMENT = "Yes, you can pay with PayPal at checkout. We also accept Visa and Apple Pay."


def _verify(draft: str, ticket: str, passages: list[str]) -> tuple[str, ...]:
    return verify_draft(draft, ticket=ticket, passages=passages, similarity=0.8,
                        allowed_domains=["help.northwind.example"]).reasons


def test_made_up_status_is_refused() -> None:
    draft = ('The current status of order #A-99812 is "In Progress" and the tracking link will be '
             "updated shortly.")
    reasons = _verify(draft, "Where is my order #A-99812?", [ORDER_STATUS])
    assert "unsupported status: in progress" in reasons
    assert "unsupported delay: shortly" in reasons


def test_a_status_the_customer_asks_about_is_still_not_a_fact() -> None:
    reasons = _verify("Good news, your order has shipped and is out for delivery.",
                      "Has my order 55120 shipped yet?", [ORDER_STATUS])
    assert "unsupported status: out for delivery" in reasons


def test_meta_text_is_refused() -> None:
    draft = ("Shipping takes 3 to 5 business days. Details are at "
             "https://help.northwind.example/shipping. This answer is incorrect as it does not "
             "include any information about how long shipping can take.")
    reasons = _verify(draft, "How long does shipping take?", [SHIPPING])
    assert any(r.startswith("meta-text") for r in reasons), reasons


@pytest.mark.parametrize("draft", [
    "As an AI language model, I cannot check your order.",
    "Here is a rewritten version of the approved answer: shipping takes 3 to 5 business days.",
    "Sure! Here's the reply: shipping takes 3 to 5 business days.",
    "Note: the customer message did not include an order number.",
])
def test_other_meta_text_is_refused(draft: str) -> None:
    assert meta_text(draft), draft


def test_subject_echo_is_refused() -> None:
    ticket = "Support request: Can I pay with PayPal at checkout?\nHi, just checking."
    reasons = _verify("Support request: Can I pay with PayPal at checkout?", ticket, [PAYMENT])
    assert any(r.startswith("echoes the ticket") for r in reasons), reasons
    assert any(r.startswith("does not read as a reply") for r in reasons), reasons


@pytest.mark.parametrize(("draft", "ticket"), [
    ("Can I pay with PayPal at checkout?", "Can I pay with PayPal at checkout?"),
    ("I want to know if you ship my order soon, my order is late and I need it now",
     "I want to know if you ship my order soon, my order is late and I need it now."),
])
def test_echoes_of_the_ticket(draft: str, ticket: str) -> None:
    assert echoes(draft, ticket) or not_a_reply(draft)


def test_uncovered_destination_is_a_claim_even_if_the_ticket_asks_about_it() -> None:
    assert stated("Do you ship to Canada?") == ""
    assert unsupported_claims("Yes, we ship to Canada in 3 to 5 business days.",
                              ticket="Do you ship to Canada?",
                              passages=[SHIPPING]) == ["unsupported place: canada"]


@pytest.mark.parametrize(("draft", "family"), [
    ("Your parcel will arrive on Friday.", "date"),
    ("There is a small fee for express shipping.", "price"),
    ("Our warranty covers this for two years.", "policy"),
    ("We ship with DHL to most countries.", "brand"),
    ("You can also pay with Klarna.", "brand"),
    ("We deliver to the EU only.", "place"),
])
def test_each_claim_family_needs_a_source(draft: str, family: str) -> None:
    reasons = unsupported_claims(draft, ticket="Hello", passages=[SHIPPING])
    assert any(r.startswith(f"unsupported {family}:") for r in reasons), reasons


def test_claims_the_approved_answer_makes_pass_and_idioms_are_not_claims() -> None:
    draft = ("Good morning! Standard shipping takes 3 to 5 business days once your order has been "
             "dispatched. Feel free to contact us, details are at "
             "https://help.northwind.example/shipping.")
    assert _verify(draft, "How long does shipping take?", [SHIPPING]) == ()
    assert find_claims("Please contact us") == []  # "us" is no place


def test_a_restored_card_number_never_passes() -> None:
    draft = "Please find more details about your card here: 4111 1111 1111 1111"
    reasons = _verify(draft, "My card 4111 1111 1111 1111 was charged twice", [PAYMENT])
    assert "sensitive value in draft: CARD" in reasons
    masked = "Please find more details about your card here: •••• •••• •••• 1111"
    assert not any(r.startswith(("sensitive", "unsupported number"))
                   for r in _verify(masked, "My card 4111 1111 1111 1111 was charged twice",
                                    [PAYMENT]))


def test_scores_mean_something_without_a_similarity() -> None:
    """A hosted draft with no approved answer used to score 1.0 with no reasons."""
    grounded = verify_draft(SHIPPING, ticket="How long does shipping take?", passages=[SHIPPING],
                            allowed_domains=["help.northwind.example"])
    loose = verify_draft("We are looking into your delivery and will contact you.",
                         ticket="How long does shipping take?", passages=[])
    assert grounded.score == 1.0 and loose.score < 0.6
