"""Promised personal data hidden by invisible characters and odd spaces (issue 18), and every
promised kind written in the many formats people use (issue 11).

Each seed is a value of a kind the README promises never leaves the machine. A variant keeps
the value as a reader sees it but writes it the way an attacker (or a copy-paste from a PDF)
might: every separator replaced by a run of any Unicode space or a tab, zero-width and other
invisible characters inserted anywhere, digits written full-width or in another script.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import hypothesis.strategies as st

SEEDS: tuple[tuple[str, str, str], ...] = (  # kind, value, ticket text around it
    ("CARD", "4111 1111 1111 1111", "My card {} shows two payments, please help."),
    ("CARD", "5555-5555-5555-4444", "Refund to card {} please."),
    ("CARD", "3782 822463 10005", "The card {} was declined."),
    ("IBAN", "GB82 WEST 1234 5698 7654 32", "Please refund to IBAN {} today."),
    ("IBAN", "DE89 3704 0044 0532 0130 00", "My account is {} for the refund."),
    ("EMAIL", "jane.doe@example.com", "Write to {} about order 55123."),
    ("PHONE", "+44 20 7946 0958", "Call me back on {} about my delivery."),
    ("PHONE", "(415) 555-0132", "My phone is {} if you need it."),
    ("NATIONAL_ID", "123-45-6789", "My SSN is {} for the form."),
    ("NATIONAL_ID", "QQ 12 34 56 C", "My NI number is {} for payroll."),
    ("DATE_OF_BIRTH", "14/03/1985", "I was born on {} if you need it."),
    ("DATE_OF_BIRTH", "2 March 1979", "My date of birth is {} for the check."),
    ("ADDRESS", "221B Baker Street", "Please ship to {}, London."),
    ("POSTCODE", "NW1 6XE", "My postcode is {} for the delivery."),
    ("POSTCODE", "62704-1234", "Springfield, IL {} is the zip."),
    ("PASSPORT", "C01X00T47", "My passport number is {} for the delivery form."),
    ("PASSPORT", "123456789", "passport no. {} expires soon."),
)
# NAME is redacted where the requester's name is known: the seed carries the requester field.
NAME_SEED = ("NAME", "Siobhan Brennan", "Thanks, {}", '"Siobhan Brennan" <s.brennan@example.com>')
SPACES = tuple(c for c in map(chr, range(sys.maxunicode + 1))
               if unicodedata.category(c) == "Zs") + ("\t",)
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u200e",
             "\u200f", "\u202a", "\u202c", "\u2066", "\u2069", "\u034f", "\ufe0f",
             "\U000e0020", "\u2061", "\u2063")
DIGIT_ZEROS = tuple(cp for cp in range(sys.maxunicode + 1)
                    if unicodedata.category(chr(cp)) == "Nd" and unicodedata.decimal(chr(cp)) == 0
                    and all(unicodedata.category(chr(cp + d)) == "Nd" for d in range(10)))


def disguise(value: str, rng: random.Random) -> str:
    """One disguised spelling of ``value`` (deterministic for a seeded ``rng``)."""
    zero = rng.choice((0x30, 0xFF10, *DIGIT_ZEROS[:40]))
    out: list[str] = []
    for ch in value:
        if ch == " ":
            out.append("".join(rng.choice(SPACES) for _ in range(rng.randint(1, 3))))
        elif ch.isdigit() and rng.random() < 0.5:
            out.append(chr(zero + int(ch)))
        else:
            out.append(ch)
        while rng.random() < 0.3:
            out.append(rng.choice(INVISIBLE))
    return "".join(out)


@st.composite
def disguised_tickets(draw: st.DrawFn) -> tuple[str, str, str]:
    """(kind, value, ticket text with the value disguised)."""
    kind, value, template = draw(st.sampled_from(SEEDS))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return kind, value, template.format(disguise(value, rng))


@st.composite
def disguised_every_kind(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str, str]:
    """One ticket holding a value of every promised kind (the name last, as a sign-off), each
    disguised: ([(kind, value)], ticket text, requester field)."""
    by_kind: dict[str, list[tuple[str, str, str]]] = {}
    for seed in SEEDS:
        by_kind.setdefault(seed[0], []).append(seed)
    picked = draw(st.permutations([draw(st.sampled_from(seeds)) for seeds in by_kind.values()]))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    kind, name, sign_off, requester = NAME_SEED
    parts = [template.format(disguise(value, rng)) for _, value, template in picked]
    parts.append(sign_off.format(disguise(name, rng)))
    return [(k, v) for k, v, _ in picked] + [(kind, name)], " ".join(parts), requester


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaked(value: str, sent: str) -> bool:
    """Whether ``value`` (normalised) or, for numbers, its digit sequence is in ``sent``."""
    from router.guard.normalize import normalize_text

    plain = normalize_text(sent)
    if value in plain or value.replace(" ", "") in plain.replace(" ", ""):
        return True
    run = digits(value)
    return len(run) >= 8 and run in digits(plain)


# --- every promised kind in the many formats people write it in (issue 11) ------------------

FIRST_NAMES = ("Jane", "Ana", "Oliver", "Priya", "Mohammed", "Sofia", "Lukas", "Chloé",
               "Mateo", "Aiko", "Grzegorz", "Siobhan")
LAST_NAMES = ("Doe", "Novak", "Okafor", "Schmidt", "Fernández", "Kowalski", "Haddad",
              "Lindqvist", "Tanaka", "Brennan", "Müller", "Van Houten")


@dataclass(frozen=True)
class Case:
    """One sentence of a ticket holding ``value`` of ``kind`` written one particular way."""

    kind: str
    value: str
    sentence: str
    requester: str | None = None


def _luhn_complete(body: str) -> str:
    """``body`` plus the check digit that makes it Luhn-valid."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _digits_of(draw: st.DrawFn, n: int) -> str:
    return "".join(str(d) for d in draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)))


def _group(value: str, sizes: tuple[int, ...], sep: str) -> str:
    out, pos = [], 0
    for size in sizes:
        out.append(value[pos : pos + size])
        pos += size
    if pos < len(value):
        out.append(value[pos:])
    return sep.join(part for part in out if part)


CARD_SEPARATORS = (" ", "-", ".", "/", "_", " - ", " / ", " . ", "")
CARD_SENTENCES = ("My card {} was charged twice.", "card number: {}", "Visa {} was declined",
                  "I paid with {} yesterday.", "Please refund the card ending... no, the whole "
                  "card is {}", "cc {} exp 09/27")


@st.composite
def cards(draw: st.DrawFn) -> Case:
    prefix, length = draw(st.sampled_from(
        (("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
         ("6011", 16), ("3528", 16), ("4", 13), ("4", 19))))
    number = _luhn_complete(prefix + _digits_of(draw, length - len(prefix) - 1))
    layout = draw(st.sampled_from(((4, 4, 4, 4, 4), (4, 6, 5), (2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
                                   (4, 8, 4), (length,))))
    value = _group(number, layout, draw(st.sampled_from(CARD_SEPARATORS)))
    return Case("CARD", value, draw(st.sampled_from(CARD_SENTENCES)).format(value))


_IBAN_SHAPES = {  # country: BBAN as (kind, count) blocks, kind "n" digits or "a" upper letters
    "DE": (("n", 18),), "GB": (("a", 4), ("n", 14)), "NL": (("a", 4), ("n", 10)),
    "FR": (("n", 23),), "ES": (("n", 20),), "IT": (("a", 1), ("n", 22)),
    "BE": (("n", 12),), "CH": (("n", 17),), "PL": (("n", 24),), "AT": (("n", 16),),
}


def _iban_check(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


@st.composite
def ibans(draw: st.DrawFn) -> Case:
    country = draw(st.sampled_from(sorted(_IBAN_SHAPES)))
    bban = ""
    for kind, count in _IBAN_SHAPES[country]:
        if kind == "n":
            bban += _digits_of(draw, count)
        else:
            bban += "".join(draw(st.lists(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                                          min_size=count, max_size=count)))
    compact = country + _iban_check(country, bban) + bban
    sep = draw(st.sampled_from((" ", "-", ".", "", " - ")))
    value = _group(compact, (4,) * 9, sep)
    if draw(st.booleans()):
        value = value.lower()
    elif draw(st.booleans()) and sep == " ":
        value = value[:2] + " " + value[2:]  # "DE 89 3704 ..."
    sentence = draw(st.sampled_from(("Please refund to IBAN {} today.", "My account is {}",
                                     "bank details: {}.", "IBAN:{}")))
    return Case("IBAN", value, sentence.format(value))


_LOCALS = ("jane.doe", "müller", "josé.garcía", "j_doe85", "ana+shop", "o.okafor", "priya")
_DOMAINS = ("example.com", "bücher.de", "mail.example.co.uk", "example.org", "shop.example.io",
            "почта.рф", "xn--bcher-kva.de")
_ASCII_COMMON = ("example.com", "mail.example.co.uk", "example.org", "shop.example.io")


def _spell(address: str, at: str, dot: str) -> str:
    local, domain = address.split("@")
    return local.replace(".", dot) + at + domain.replace(".", dot)


@st.composite
def emails(draw: st.DrawFn) -> Case:
    local = draw(st.sampled_from(_LOCALS))
    style = draw(st.sampled_from(("plain", "bracket", "paren", "brace", "angle", "spaced",
                                  "words", "at-word")))
    if style in ("words", "at-word"):
        domain = draw(st.sampled_from(_ASCII_COMMON))
        local = draw(st.sampled_from(("jane.doe", "j_doe85", "o.okafor", "priya")))
    else:
        domain = draw(st.sampled_from(_DOMAINS))
    address = f"{local}@{domain}"
    spaced = draw(st.sampled_from(("", " ")))
    value = {
        "plain": address,
        "bracket": _spell(address, f"{spaced}[at]{spaced}", f"{spaced}[dot]{spaced}"),
        "paren": _spell(address, f"{spaced}(at){spaced}", f"{spaced}(dot){spaced}"),
        "brace": _spell(address, "{at}", "{dot}"),
        "angle": _spell(address, " <at> ", " <dot> "),
        "spaced": _spell(address, " @ ", "."),
        "words": _spell(address, " at ", " dot "),
        "at-word": _spell(address, " at ", "."),
    }[style]
    if style in ("bracket", "paren", "words") and draw(st.booleans()):
        value = value.upper()
    sentence = draw(st.sampled_from(("Write to {} about my order.", "my email is {}",
                                     "Contact: {}", "reach me at {} please")))
    return Case("EMAIL", value, sentence.format(value))


@st.composite
def phones(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(("uk", "us", "de", "intl")))
    if kind == "uk":
        value = draw(st.sampled_from(("+44 20 {} {}", "020 {} {}", "+44 (0)20 {}-{}")))
        value = value.format(_digits_of(draw, 4), _digits_of(draw, 4))
    elif kind == "us":
        value = draw(st.sampled_from(("({}) {}-{}", "{}-{}-{}", "{}.{}.{}", "+1 {} {} {}")))
        value = value.format("415", "555", _digits_of(draw, 4))
    elif kind == "de":
        value = "+49 151 " + _digits_of(draw, 8)
    else:
        value = "0044 7700 9" + _digits_of(draw, 5)
    sentence = draw(st.sampled_from(("Call me back on {} please.", "My phone is {}",
                                     "mobile: {}")))
    return Case("PHONE", value, sentence.format(value))


@st.composite
def national_ids(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(("ssn", "ssn-bare", "ni", "sin", "dni")))
    if kind.startswith("ssn"):
        area = draw(st.integers(1, 899).filter(lambda a: a != 666))
        number = f"{area:03d}{draw(st.integers(1, 99)):02d}{draw(st.integers(1, 9999)):04d}"
        sep = "" if kind == "ssn-bare" else draw(st.sampled_from(("-", " ", ".")))
        value = _group(number, (3, 2, 4), sep)
        sentence = draw(st.sampled_from(("My SSN is {} for the form.",
                                         "social security number: {}", "SSN#{}")))
    elif kind == "ni":
        letters = "".join(draw(st.lists(st.sampled_from("ABCEGHJKLMNPRSTWXYZ"), min_size=2,
                                        max_size=2)))
        value = _group(letters + _digits_of(draw, 6) + draw(st.sampled_from("ABCD")),
                       (2, 2, 2, 2, 1), draw(st.sampled_from((" ", "", "-"))))
        if draw(st.booleans()):
            value = value.lower()
        sentence = draw(st.sampled_from(("My NI number is {} for payroll.",
                                         "National Insurance: {}")))
    elif kind == "sin":
        number = _luhn_complete(str(draw(st.integers(1, 7))) + _digits_of(draw, 7))
        value = _group(number, (3, 3, 3), draw(st.sampled_from((" ", "-", ""))))
        sentence = draw(st.sampled_from(("my SIN is {}", "Social insurance number {}")))
    else:
        digits = f"{draw(st.integers(10_000_000, 99_999_999))}"
        letter = "TRWAGMYFPDXBNJZSQVHLCKE"[int(digits) % 23]
        value = draw(st.sampled_from((f"{digits}{letter}", f"{digits}-{letter}",
                                      f"{digits[:2]}.{digits[2:5]}.{digits[5:]}-{letter}")))
        sentence = draw(st.sampled_from(("DNI {} por favor", "my DNI: {}")))
    return Case("NATIONAL_ID", value, sentence.format(value))


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@st.composite
def dates_of_birth(draw: st.DrawFn) -> Case:
    y, m, d = draw(st.integers(1930, 2006)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    month = _MONTHS[m - 1]
    value = draw(st.sampled_from((
        f"{d:02d}/{m:02d}/{y}", f"{m}/{d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d}.{m}.{y}",
        f"{d:02d}.{m:02d}.{y % 100:02d}", f"{month} {d}, {y}", f"{d} {month} {y}",
        f"{d}th of {month} {y}", f"{d}-{month[:3]}-{y}", f"{month[:3]} {d} {y}",
        f"{y}{m:02d}{d:02d}",
    )))
    sentence = draw(st.sampled_from(("I was born on {}.", "DOB: {}", "Date of birth {}",
                                     "my birthday is {}", "born {}", "D.O.B. {} (for the "
                                     "account check)", "{} is my date of birth")))
    return Case("DATE_OF_BIRTH", value, sentence.format(value))


_STREETS = ("Baker", "Elm", "Maple", "Pennsylvania", "Station", "High", "Church", "Mill",
            "Oak Tree", "Kings")
_SUFFIXES = ("Street", "St", "St.", "Road", "Rd", "Avenue", "Ave", "Lane", "Drive",
             "Boulevard", "Close", "Way")


@st.composite
def addresses(draw: st.DrawFn) -> Case:
    style = draw(st.sampled_from(("en", "en-lower", "en-unit", "de", "fr", "po")))
    number = draw(st.integers(1, 9999))
    if style.startswith("en"):
        value = f"{number}{draw(st.sampled_from(('', 'B')))} {draw(st.sampled_from(_STREETS))}"
        value += f" {draw(st.sampled_from(_SUFFIXES))}"
        if style == "en-unit":
            value += f", Apt {draw(st.integers(1, 99))}"
        if style == "en-lower":
            value = value.lower()
    elif style == "de":
        value = draw(st.sampled_from(("Hauptstraße", "Berliner Str.", "Lindenweg", "Marktplatz",
                                      "Goethestrasse"))) + f" {number % 300 + 1}"
    elif style == "fr":
        value = f"{number % 200 + 1} rue " + draw(st.sampled_from(("de la Paix", "Victor Hugo",
                                                                    "des Lilas")))
    else:
        value = f"PO Box {number}"
    sentence = draw(st.sampled_from(("I live at {}, London.", "Please ship to {}, thanks",
                                     "my address: {}", "new address is {}\nBerlin")))
    return Case("ADDRESS", value, sentence.format(value))


_UK_AREAS = ("SW", "NW", "EC", "M", "B", "LS", "G", "EH", "CF", "BT")


@st.composite
def postcodes(draw: st.DrawFn) -> Case:
    style = draw(st.sampled_from(("uk", "us", "ca", "named")))
    if style == "uk":
        inward = str(draw(st.integers(0, 9))) + "".join(draw(st.lists(
            st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"), min_size=2, max_size=2)))
        value = f"{draw(st.sampled_from(_UK_AREAS))}{draw(st.integers(1, 20))} {inward}"
        sentence = draw(st.sampled_from(("London {}", "postcode {}", "my post code is {}")))
        if "post" in sentence and draw(st.booleans()):
            value = value.lower()
    elif style == "us":
        value = f"{draw(st.integers(10000, 99999))}"
        if draw(st.booleans()):
            value += f"-{draw(st.integers(1000, 9999))}"
        sentence = draw(st.sampled_from(("Springfield, IL {}", "Austin, TX {}.",
                                         "zip code {}", "ZIP: {}")))
    elif style == "ca":
        value = (draw(st.sampled_from("KLMHTV")) + str(draw(st.integers(0, 9)))
                 + draw(st.sampled_from("ABCEGHJ")) + " " + str(draw(st.integers(0, 9)))
                 + draw(st.sampled_from("ABCEGHJ")) + str(draw(st.integers(0, 9))))
        sentence = "Toronto ON {}"
    else:
        value = f"{draw(st.integers(10000, 99999))}"
        sentence = draw(st.sampled_from(("PLZ {} Berlin", "Hauptstraße 5, {} Berlin",
                                         "12 rue de la Paix, {} Paris")))
    return Case("POSTCODE", value, sentence.format(value))


@st.composite
def passports(draw: st.DrawFn) -> Case:
    style = draw(st.sampled_from(("digits", "letter", "de", "two")))
    if style == "digits":
        value = _digits_of(draw, 9)
    elif style == "letter":
        value = draw(st.sampled_from("CLXKP")) + _digits_of(draw, 8)
    elif style == "de":
        value = "C" + _digits_of(draw, 2) + "X" + _digits_of(draw, 2) + "T" + _digits_of(draw, 2)
    else:
        value = draw(st.sampled_from(("AB", "ZX", "PA"))) + draw(
            st.sampled_from(("", " "))) + _digits_of(draw, 7)
    sentence = draw(st.sampled_from(("passport number {}", "My passport no. is {}",
                                     "Passport: {} (UK)", "passport #{} expires soon")))
    return Case("PASSPORT", value, sentence.format(value))


@st.composite
def names(draw: st.DrawFn) -> Case:
    first, last = draw(st.sampled_from(FIRST_NAMES)), draw(st.sampled_from(LAST_NAMES))
    full = f"{first} {last}"
    requester = draw(st.sampled_from((full, f'"{full}" <{first.lower()}@example.com>')))
    shown = draw(st.sampled_from((full, full.upper(), full.lower(), last)))
    sentence = draw(st.sampled_from(("Thanks, {}", "This is {} writing again.",
                                     "Regards,\n{}")))
    return Case("NAME", last, sentence.format(shown), requester)


KIND_STRATEGIES = {
    "CARD": cards(), "IBAN": ibans(), "EMAIL": emails(), "PHONE": phones(),
    "NATIONAL_ID": national_ids(), "DATE_OF_BIRTH": dates_of_birth(),
    "ADDRESS": addresses(), "POSTCODE": postcodes(), "PASSPORT": passports(), "NAME": names(),
}


def formatted_tickets(kinds: tuple[str, ...] = tuple(KIND_STRATEGIES), min_cases: int = 1,
                      max_cases: int = 3) -> st.SearchStrategy[tuple[list[Case], str]]:
    """A ticket of ``min_cases`` to ``max_cases`` sentences, each holding a value of a promised
    kind (each kind at most once: a ticket has one requester), joined as prose."""
    return st.lists(st.one_of([KIND_STRATEGIES[k] for k in kinds]), min_size=min_cases,
                    max_size=max_cases, unique_by=(lambda c: c.kind, lambda c: c.value)).map(
        lambda cases: (cases, _prose(c.sentence for c in cases)))


def _prose(sentences: Iterable[str]) -> str:
    out = ""
    for sentence in sentences:
        if out:
            out += " " if out.endswith((".", "!", "?", "\n")) else ". "
        out += sentence
    return out


def name_leaked(name: str, sent: str) -> bool:
    """Whether any part of ``name`` is in ``sent`` as a whole word (any case)."""
    from router.guard.normalize import normalize_text

    plain = normalize_text(sent)
    return any(re.search(rf"(?<!\w){re.escape(part)}(?!\w)", plain, re.IGNORECASE)
               for part in name.split() if len(part) > 2)
