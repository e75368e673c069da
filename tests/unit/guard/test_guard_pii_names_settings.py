"""Requester names and the opt-out settings of the optional kinds."""

from __future__ import annotations

import pytest

from router.guard.pii import Redactor, redact, requester_names, restore
from router.guard.settings import PIISettings


@pytest.mark.parametrize("requester, names", [
    ("Jane Doe", ("Jane Doe", "Jane", "Doe")),
    ('"Jane Doe" <jane.doe@example.com>', ("Jane Doe", "Jane", "Doe")),
    ("jane.doe85@example.com", ("jane doe", "jane", "doe")),
    ("Dr. José Müller", ("José Müller", "Müller", "José")),
    ("support@shop.example", ()),
    ("U024BE7LH", ()),
    ("12345", ()),
    ("", ()),
    (None, ()),
])
def test_requester_names_from_what_connectors_store(requester: str | None,
                                                    names: tuple[str, ...]) -> None:
    assert requester_names(requester) == names


def test_the_requester_name_is_redacted_wherever_it_appears() -> None:
    names = requester_names("Jane Doe <jane.doe@example.com>")
    result = redact("Hi, jane doe here. Thanks, Jane\nJANE DOE", names=names)
    assert result.text == "Hi, [NAME_1] here. Thanks, [NAME_2]\n[NAME_3]"
    assert result.counts == {"NAME": 3}
    assert restore(result.text, result.mapping) == "Hi, jane doe here. Thanks, Jane\nJANE DOE"


def test_names_that_are_words_match_only_when_capitalised() -> None:
    names = requester_names("Will Smith")
    result = redact("Will here: will you refund Smith's order?", names=names)
    assert result.text == "[NAME_1] here: will you refund [NAME_2]'s order?"


def test_no_name_is_redacted_without_a_requester() -> None:
    assert redact("Thanks, Jane Doe").counts == {}


def test_names_inside_an_email_stay_part_of_the_email() -> None:
    result = redact("jane.doe@example.com wrote", names=("Jane Doe", "Jane", "Doe"))
    assert result.counts == {"EMAIL": 1}


def test_a_redactor_takes_names_too() -> None:
    redactor = Redactor(names=("Jane Doe",))
    assert redactor.redact("I am Jane Doe") == "I am [NAME_1]"
    assert redactor.counts == {"NAME": 1}


@pytest.mark.parametrize("setting, kind, text", [
    ("DESKROUTE_PII_DATES_OF_BIRTH", "DATE_OF_BIRTH", "DOB: 1990-02-01"),
    ("DESKROUTE_PII_ADDRESSES", "ADDRESS", "I live at 221B Baker Street"),
    ("DESKROUTE_PII_POSTCODES", "POSTCODE", "London NW1 6XE"),
    ("DESKROUTE_PII_PASSPORTS", "PASSPORT", "passport number C01X00T47"),
    ("DESKROUTE_PII_NAMES", "NAME", "Thanks, Jane Doe"),
])
def test_each_optional_kind_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, setting: str,
                                              kind: str, text: str) -> None:
    names = ("Jane Doe",)
    assert kind in redact(text, names=names, settings=PIISettings()).counts
    monkeypatch.setenv(setting, "false")
    assert kind in redact(text, names=names).counts  # read at the edge, not here
    settings = PIISettings()  # the edge reads it
    assert kind not in redact(text, names=names, settings=settings).counts
    assert redact(text, names=names, settings=settings).text == text


def test_promised_kinds_have_no_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CARDS", "IBANS", "EMAILS", "PHONES", "NATIONAL_IDS"):
        monkeypatch.setenv(f"DESKROUTE_PII_{name}", "false")
    text = "card 4111 1111 1111 1111, jane@example.com, SSN 123-45-6789"
    counts = redact(text, settings=PIISettings()).counts
    assert counts == {"EMAIL": 1, "NATIONAL_ID": 1, "CARD": 1}
    assert PIISettings().disabled_kinds() == frozenset()


def test_a_bad_setting_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_PII_NAMES", "perhaps")
    with pytest.raises(ValueError, match="names"):
        PIISettings()
