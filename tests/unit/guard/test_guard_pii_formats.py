"""Personal data written the way people write it (issue 11), and look-alikes left alone."""

from __future__ import annotations

import pytest

from router.guard.pii import redact


def only(text: str, kind: str) -> str:
    """The single value of ``kind`` redacted from ``text``."""
    result = redact(text)
    values = [v for k, v in result.mapping.items() if k.startswith(f"[{kind}_")]
    assert len(values) == 1, (text, result.text, result.mapping)
    return values[0]


# --- cards -----------------------------------------------------------------------------------

@pytest.mark.parametrize("card", [
    "4111.1111.1111.1111",
    "4111/1111/1111/1111",
    "4111_1111_1111_1111",
    "4111 - 1111 - 1111 - 1111",
    "4111 / 1111 / 1111 / 1111",
    "41 11 11 11 11 11 11 11",
    "4111 11111111 1111",
    "4111-1111 1111.1111",
    "5555.5555.5555.4444",
    "3782.822463.10005",
    "3782_8224_6310_005",
])
def test_cards_with_any_separator_are_redacted(card: str) -> None:
    assert only(f"My card is {card}, please check.", "CARD") == card


@pytest.mark.parametrize("text, card", [
    ("card #4111111111111111 was declined", "4111111111111111"),
    ("Visa no.4111111111111111", "4111111111111111"),
    ("card: 4111.1111.1111.1111.", "4111.1111.1111.1111"),
    ("ref 2024 4111.1111.1111.1111 ok", "4111.1111.1111.1111"),
])
def test_cards_after_card_words_and_punctuation(text: str, card: str) -> None:
    assert only(text, "CARD") == card


@pytest.mark.parametrize("text", [
    "cancelling order 113542617735902",  # passes Luhn, but it is an order number
    "your order with the number 113542617735902",
    "purchase #113542617735902 has not arrived",
    "Tracking 1Z999AA10123456784",
    "It cost $1,299.00 in total",
    "Version 4.1.1111.1111 is out",
    "See https://shop.example/orders/4111111111111111",
    "Invoice 4111111111111111 is attached",
    "card 4111.1111.1111.1112",  # fails Luhn
])
def test_references_prices_and_invalid_numbers_are_not_cards(text: str) -> None:
    assert "CARD" not in redact(text).counts, redact(text).text


# --- IBANs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("iban", [
    "DE89-3704-0044-0532-0130-00",
    "DE89.3704.0044.0532.0130.00",
    "DE89 3704 0044 0532 0130 00",
    "DE 89 3704 0044 0532 0130 00",
    "de89370400440532013000",
    "GB82-WEST-1234-5698-7654-32",
    "GB82.WEST.1234.5698.7654.32",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91-ABNA-0417-1643-00",
    "CH93 0076 2011 6238 5295 7",
])
def test_ibans_with_dashes_dots_and_spaces_are_redacted(iban: str) -> None:
    assert only(f"Refund to IBAN {iban}. Thanks", "IBAN") == iban


def test_an_iban_is_cut_at_its_country_length() -> None:
    # German IBANs have 22 characters: the groups after them are not part of it
    assert only("IBAN DE89 3704 0044 0532 0130 00 12 items", "IBAN") == (
        "DE89 3704 0044 0532 0130 00")
    assert "IBAN" not in redact("ref DE89 3704 0044 0532 0130").counts


# --- e-mails ---------------------------------------------------------------------------------

@pytest.mark.parametrize("email", [
    "müller@bücher.de",
    "josé.garcía@correo.es",
    "用户@例子.广告",
    "ivan@почта.рф",
    "bob@xn--bcher-kva.de",
    "jane [at] example [dot] com",
    "jane(at)example(dot)com",
    "jane (at) example (dot) com",
    "jane{at}example{dot}org",
    "jane<at>example<dot>io",
    "jane [@] example [.] com",
    "jane at example dot com",
    "JANE AT EXAMPLE DOT CO DOT UK",
    "jane dot doe at example dot com",
    "jane.doe at gmail.com",
    "jane @ example.com",
    "jane@ example.com",
])
def test_international_and_obfuscated_emails_are_redacted(email: str) -> None:
    assert only(f"Please write to {email} today", "EMAIL") == email


@pytest.mark.parametrize("text", [
    "I bought it at amazon.com last week",
    "Look at the price tag",
    "We met at noon. Com was there",
    "Delivered at 5 pm",
])
def test_ordinary_uses_of_at_are_not_emails(text: str) -> None:
    assert "EMAIL" not in redact(text).counts, redact(text).text


# --- national ids ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("My SSN is 123456789", "123456789"),
    ("social security number: 123 45 6789", "123 45 6789"),
    ("ssn 123.45.6789", "123.45.6789"),
    ("SSN: 123-456789", "123-456789"),
    ("123456789 (my SSN)", "123456789"),
    ("Tax form: 123.45.6789", "123.45.6789"),  # one separator twice: an SSN anywhere
    ("NI number qq123456c", "qq123456c"),
    ("National insurance: QQ-12-34-56-C", "QQ-12-34-56-C"),
    ("QQ.12.34.56.C for payroll", "QQ.12.34.56.C"),
    ("SIN 046454286", "046454286"),
    ("social insurance 046-454-286", "046-454-286"),
    ("DNI 12.345.678-Z", "12.345.678-Z"),
    ("NIE X-1234567-L", "X-1234567-L"),
    ("dni 12345678 z", "12345678 z"),
    ("BSN 123456782", "123456782"),
    ("Steuer-ID: 12 345 678 901", "12 345 678 901"),
    ("my national ID number is 8001015009087", "8001015009087"),
    ("PESEL 44051401359", "44051401359"),
])
def test_national_ids_without_separators_or_with_odd_ones(text: str, value: str) -> None:
    assert only(text, "NATIONAL_ID") == value


@pytest.mark.parametrize("text", [
    "Order 123456789 was placed",
    "Tracking number 123456789",
    "Call 123456789 maybe",  # (a phone perhaps, never a national id)
    "12345678 A refund please",  # 8 digits + a capital: no DNI word, no DNI
    "a tin of paint, order 12345678",
    "I have been a customer since 2019, id 4412",
])
def test_nine_digit_numbers_without_id_words_are_not_national_ids(text: str) -> None:
    assert "NATIONAL_ID" not in redact(text).counts, redact(text).text


# --- dates of birth --------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("I was born on 02/01/1990", "02/01/1990"),
    ("DOB: 1990-02-01", "1990-02-01"),
    ("D.O.B. 02.01.90", "02.01.90"),
    ("date of birth 2nd of February 1990", "2nd of February 1990"),
    ("born February 2, 1990", "February 2, 1990"),
    ("birthday: 2 Feb 1990", "2 Feb 1990"),
    ("my birthday is 14-Mar-1985", "14-Mar-1985"),
    ("01/02/1990 (DOB)", "01/02/1990"),
    ("Date of Birth: 19900201", "19900201"),
    ("born in March 1990", "March 1990"),
    ("geboren am 2. Februar 1990", "2. Februar 1990"),
    ("né le 3 mars 1988", "3 mars 1988"),
    ("birth date - 1990/02/01", "1990/02/01"),
])
def test_dates_of_birth_are_redacted(text: str, value: str) -> None:
    assert only(text, "DATE_OF_BIRTH") == value


@pytest.mark.parametrize("text", [
    "ordered on 01/02/2024",
    "Delivered 12/05/2024",
    "My birthday present ordered on 01/02/2024 has not arrived",
    "I was born in 1990 and ordered on 01/02/2024",
    "The card expires 03/27",
    "Your subscription renews on 2024-05-01",
    "It is my daughter's birthday gift, order 5512 from 3 March 2024",
])
def test_dates_that_are_not_birth_dates_stay(text: str) -> None:
    assert "DATE_OF_BIRTH" not in redact(text).counts, redact(text).text


# --- addresses and postcodes -----------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("I live at 221B Baker Street, London", "221B Baker Street"),
    ("ship to 1600 Pennsylvania Ave NW, Apt 4B, Washington", "1600 Pennsylvania Ave NW, Apt 4B"),
    ("send it to 350 5th Ave please", "350 5th Ave"),
    ("my address is 123 main st, springfield", "123 main st"),
    ("deliver to 42 Elm Road", "42 Elm Road"),
    ("Hauptstraße 5, Berlin", "Hauptstraße 5"),
    ("Musterstr. 12a, München", "Musterstr. 12a"),
    ("Berliner Straße 12, Potsdam", "Berliner Straße 12"),
    ("12 rue de la Paix, Paris", "12 rue de la Paix"),
    ("Calle Mayor 5, Madrid", "Calle Mayor 5"),
    ("PO Box 1234, Anchorage", "PO Box 1234"),
])
def test_street_addresses_are_redacted(text: str, value: str) -> None:
    assert only(text, "ADDRESS") == value


@pytest.mark.parametrize("text, value", [
    ("London NW1 6XE", "NW1 6XE"),
    ("postcode sw1a 1aa", "sw1a 1aa"),
    ("Springfield, IL 62704", "62704"),
    ("Austin, Texas 78701-1234", "78701-1234"),
    ("zip code 90210", "90210"),
    ("PLZ 10115", "10115"),
    ("Toronto ON M5V 3L9", "M5V 3L9"),
    ("Hauptstraße 5, 10115 Berlin", "10115"),
    ("Bahnhofstrasse 12, CH-8001 Zürich", "CH-8001"),
    ("12 rue de la Paix, 75002 Paris", "75002"),
])
def test_postcodes_are_redacted(text: str, value: str) -> None:
    assert only(text, "POSTCODE") == value


@pytest.mark.parametrize("text", [
    "I bought 2 hard drives",
    "Order 12345 arrived",
    "I paid $45 for 3 items",
    "see page 5 Street view",
    "I live at 12 Main Street since 2015",
    "It took 3 Days Way too long",
    "Route 66 was closed",
    "10000 points on my account",
    "Model A1 2BC arrived",  # not a valid UK postcode (no such inward letters)
    "in 12345 steps",
])
def test_numbers_near_words_are_not_addresses_or_postcodes(text: str) -> None:
    counts = redact(text).counts
    assert "POSTCODE" not in counts, redact(text).text
    assert "ADDRESS" not in counts or text.startswith("I live at"), redact(text).text


# --- passports -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("passport number C01X00T47", "C01X00T47"),
    ("passport no. 123456789", "123456789"),
    ("my passport: L898902C3", "L898902C3"),
    ("Passport #: AB 1234567", "AB 1234567"),
    ("Reisepass Nr C01X00T47", "C01X00T47"),
    ("passport (UK) 925665416", "925665416"),
])
def test_passport_numbers_after_the_word_passport(text: str, value: str) -> None:
    assert only(text, "PASSPORT") == value


@pytest.mark.parametrize("text", [
    "my passport expires 12/05/2027",
    "I lost my passport, order 123456789 is urgent",
    "passport photos 2 sets",
    "Order 123456789",
])
def test_passport_word_without_a_number_next_to_it(text: str) -> None:
    assert "PASSPORT" not in redact(text).counts, redact(text).text
