"""Template filling: only what the ticket states goes in; everything else turns neutral."""

from __future__ import annotations

from router.kb.template import extract_facts, fill_template

ANSWER = ("Hello {{Customer Name}}, I can help you cancel order {{Order Number}}. Open "
          "{{Order Details}} or call {{Customer Support Phone Number}} "
          "{{Customer Support Availability}}.")


def test_extracts_order_number_name_and_email() -> None:
    facts = extract_facts("Hi, my name is Jane Doe. Where is order #A-55120? Mail jane@x.com")
    assert facts.order_number == "A-55120"
    assert facts.name == "Jane Doe"
    assert facts.email == "jane@x.com"


def test_bare_long_number_counts_as_order_but_phone_and_email_digits_do_not() -> None:
    assert extract_facts("cancelling 113542617735902 pls").order_number == "113542617735902"
    assert extract_facts("reach me at jane12345@x.com").order_number is None
    assert extract_facts("where is my parcel?").order_number is None


def test_invoice_number_is_told_apart_from_order_number() -> None:
    facts = extract_facts("check invoice #85632")
    assert (facts.invoice_number, facts.order_number) == ("85632", None)


def test_fills_ticket_facts() -> None:
    out = fill_template(ANSWER, "My name is Ann. Cancel order 55123 please")
    assert out.startswith("Hello Ann, I can help you cancel order 55123.")
    assert "{{" not in out


def test_unfilled_placeholders_become_neutral_phrases() -> None:
    out = fill_template(ANSWER, "please cancel my order")
    assert out == ("Hello, I can help you cancel your order. Open Order Details or call our "
                   "support phone line during our support hours.")


def test_shop_facts_fill_what_the_ticket_cannot() -> None:
    out = fill_template("Call {{Customer Support Phone Number}}.", "hi",
                        facts={"customer support phone number": "+1 555 0100"})
    assert out == "Call +1 555 0100."


def test_never_invents_a_number_for_the_order() -> None:
    out = fill_template("Your order {{Order Number}} ships soon.", "when does it ship?")
    assert not any(ch.isdigit() for ch in out)
