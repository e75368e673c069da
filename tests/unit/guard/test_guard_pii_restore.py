"""Placeholders are stable, restorable and never carry the values into counts."""

from __future__ import annotations

import random

import pytest

from router.guard.pii import Redactor, redact, restore

SEEDED = (
    "Hi, I'm ana@example.com (backup ana.w@mail.example.org). My card 4111 1111 1111 1111 "
    "was charged twice; refund to GB82 WEST 1234 5698 7654 32 please. Call +44 20 7946 0958 "
    "or (415) 555-0132. SSN 123-45-6789. Again: ana@example.com, 4111 1111 1111 1111."
)


def test_same_value_gets_same_placeholder() -> None:
    result = redact(SEEDED)
    assert result.text.count("[EMAIL_1]") == 2
    assert result.text.count("[CARD_1]") == 2
    assert result.mapping["[EMAIL_2]"] == "ana.w@mail.example.org"


def test_placeholders_are_numbered_per_kind() -> None:
    result = redact(SEEDED)
    assert sorted(result.mapping) == [
        "[CARD_1]",
        "[EMAIL_1]",
        "[EMAIL_2]",
        "[IBAN_1]",
        "[NATIONAL_ID_1]",
        "[PHONE_1]",
        "[PHONE_2]",
    ]


def test_counts_are_occurrences_by_kind_without_values() -> None:
    result = redact(SEEDED)
    assert result.counts == {"EMAIL": 3, "IBAN": 1, "CARD": 2, "NATIONAL_ID": 1, "PHONE": 2}
    assert all(isinstance(v, int) for v in result.counts.values())


def test_redacted_text_holds_no_raw_value() -> None:
    result = redact(SEEDED)
    for value in result.mapping.values():
        assert value not in result.text


def test_round_trip_restores_the_original() -> None:
    result = redact(SEEDED)
    assert restore(result.text, result.mapping) == SEEDED


@pytest.mark.parametrize(
    "altered",
    ["[EMAIL 1]", "[email_1]", "[ EMAIL_1 ]", "EMAIL_1", "\\[EMAIL\\_1\\]", "[EMAIL-1]"],
)
def test_restore_tolerates_altered_placeholders(altered: str) -> None:
    mapping = {"[EMAIL_1]": "ana@example.com"}
    assert restore(f"We wrote to {altered}.", mapping) == "We wrote to ana@example.com."


def test_restore_handles_national_id_with_spaces() -> None:
    mapping = {"[NATIONAL_ID_1]": "123-45-6789"}
    assert restore("ID [NATIONAL ID 1] noted", mapping) == "ID 123-45-6789 noted"


def test_restore_leaves_unknown_placeholders_and_prose_alone() -> None:
    mapping = {"[EMAIL_1]": "ana@example.com"}
    text = "See [CARD_9], [EMAIL_12] and email 1 of 3."
    assert restore(text, mapping) == text


def test_one_redactor_uses_one_mapping_across_texts() -> None:
    """The hosted leg redacts the ticket and each passage with one Redactor."""
    redactor = Redactor()
    texts = ["I'm ana@example.com, card 4111 1111 1111 1111", "Thanks ana@example.com",
             "also bo@example.com"]
    out = [redactor.redact(t) for t in texts]
    assert out == ["I'm [EMAIL_1], card [CARD_1]", "Thanks [EMAIL_1]", "also [EMAIL_2]"]
    assert redactor.mapping == {
        "[EMAIL_1]": "ana@example.com",
        "[CARD_1]": "4111 1111 1111 1111",
        "[EMAIL_2]": "bo@example.com",
    }
    assert redactor.counts == {"EMAIL": 3, "CARD": 1}


def test_seeded_random_texts_round_trip() -> None:
    """Deterministic fuzz: PII values shuffled among filler words always round-trip."""
    rng = random.Random(20240501)
    values = [
        "4111 1111 1111 1111",
        "GB82 WEST 1234 5698 7654 32",
        "ana@example.com",
        "+44 20 7946 0958",
        "123-45-6789",
        "#A12345",
        "$1,299.00",
        "2024-05-01",
    ]
    filler = ["hello", "order", "card", "my", "is", ",", ".", "and", "\n", "call", "(", ")"]
    for _ in range(300):
        words = [rng.choice(values + filler) for _ in range(rng.randint(1, 25))]
        text = " ".join(words)
        result = redact(text)
        assert restore(result.text, result.mapping) == text
        for secret in values[:5]:
            assert secret not in result.text


def test_repr_of_a_redaction_shows_no_value() -> None:
    result = redact(SEEDED)
    for shown in (repr(result), str(result)):
        assert "ana@example.com" not in shown
        assert "4111" not in shown
