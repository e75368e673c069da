"""What counts as personal data, and what must be left alone."""

from __future__ import annotations

import pytest

from router.guard.checksums import dni_valid, iban_valid, luhn_valid
from router.guard.pii import redact


def kinds(text: str) -> dict[str, int]:
    return redact(text).counts


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5500 0000 0000 0004",
        "3782 822463 10005",  # Amex, 15 digits
    ],
)
def test_luhn_valid_cards_are_redacted(card: str) -> None:
    result = redact(f"My card is {card}, please check.")
    assert result.text == "My card is [CARD_1], please check."
    assert result.mapping == {"[CARD_1]": card}


@pytest.mark.parametrize("card", ["4111 1111 1111 1112", "4111111111111121", "1234 5678 9012 3456"])
def test_numbers_failing_luhn_are_not_cards(card: str) -> None:
    assert redact(f"card {card} thanks").text == f"card {card} thanks"


def test_card_is_found_inside_a_longer_run_of_groups() -> None:
    result = redact("ref 2024 4111 1111 1111 1111 ok")
    assert result.mapping == {"[CARD_1]": "4111 1111 1111 1111"}


def test_luhn_helper_rejects_non_digits() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("7992a398713")


def test_dni_check_letter_covers_dni_and_nie() -> None:
    assert dni_valid("12345678", "Z")
    assert dni_valid("X1234567", "L")
    assert not dni_valid("12345678", "A")
    assert not dni_valid("1234567", "Z")


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "DE89 3704 0044 0532 0130 00",
        "gb82 west 1234 5698 7654 32",
    ],
)
def test_mod97_valid_ibans_are_redacted(iban: str) -> None:
    result = redact(f"Please pay into {iban} today")
    assert result.text == "Please pay into [IBAN_1] today"
    assert result.counts == {"IBAN": 1}


def test_iban_with_altered_check_digits_is_not_an_iban() -> None:
    assert not iban_valid("GB83WEST12345698765432")
    result = redact("IBAN GB83 WEST 1234 5698 7654 32")
    assert "IBAN" not in result.counts
    assert result.text.startswith("IBAN GB83 WEST")


def test_iban_is_found_after_an_iban_shaped_prefix() -> None:
    result = redact("AB12 GB82 WEST 1234 5698 7654 32 IBAN")
    assert result.text == "AB12 [IBAN_1] IBAN"


@pytest.mark.parametrize(
    "email", ["bob@example.com", "bob.smith+orders@mail.example.co.uk", "X_Y-9@sub.example.io"]
)
def test_email_addresses_are_redacted(email: str) -> None:
    result = redact(f"Write to {email}.")
    assert result.text == "Write to [EMAIL_1]."


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1 (415) 555-0132",
        "(415) 555-0132",
        "415-555-0132",
        "415.555.0132",
        "020 7946 0958",
        "07700 900123",
        "0044 20 7946 0958",
        "+4915123456789",
    ],
)
def test_phone_numbers_are_redacted(phone: str) -> None:
    result = redact(f"Call me on {phone} after five")
    assert result.text == "Call me on [PHONE_1] after five"


def test_bare_ten_digits_is_a_phone_only_next_to_a_phone_word() -> None:
    assert redact("mobile 4155550132").counts == {"PHONE": 1}
    assert redact("reference 4155550132").counts == {}


@pytest.mark.parametrize(
    "text",
    [
        "Order #A12345 has not arrived",
        "Order 123456789 was placed",
        "It cost $1,299.00 in total",
        "I paid 1299.00 EUR",
        "Delivered on 2024-05-01 10:30",
        "Delivered 12/05/2024",
        "Delivered 01.05.2024",
        "I bought 3 items for 45 dollars",
        "Server 192.168.100.200 is down",
        "Tracking 1Z999AA10123456784",
        "Call before 17:00 on 05-06",
    ],
)
def test_order_numbers_amounts_dates_and_short_numbers_are_not_redacted(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.counts == {}


@pytest.mark.parametrize(
    "national_id",
    ["123-45-6789", "QQ123456C", "QQ 12 34 56 C", "12345678Z", "X1234567L", "046 454 286"],
)
def test_national_id_shapes_are_redacted(national_id: str) -> None:
    result = redact(f"My ID is {national_id} ok")
    assert result.text == "My ID is [NATIONAL_ID_1] ok"


@pytest.mark.parametrize("text", ["000-12-3456", "666-12-3456", "12345678A", "046 454 287"])
def test_invalid_national_ids_are_not_redacted(text: str) -> None:
    assert "NATIONAL_ID" not in kinds(f"id {text} ok")


def test_ssn_wins_over_phone_shape() -> None:
    assert kinds("SSN 123-45-6789") == {"NATIONAL_ID": 1}


def test_mixed_ticket_counts_every_kind() -> None:
    text = (
        "I'm bob@example.com, card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, "
        "phone +44 20 7946 0958, SSN 123-45-6789. Order #A12345, $1,299.00."
    )
    assert kinds(text) == {"EMAIL": 1, "IBAN": 1, "CARD": 1, "NATIONAL_ID": 1, "PHONE": 1}
