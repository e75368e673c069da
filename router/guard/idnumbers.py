"""National identity numbers and passport numbers.

Shapes with a check digit or a distinctive layout are found anywhere (``123-45-6789``,
``QQ 12 34 56 C``, ``12345678Z``); numbers without one (an SSN written ``123456789``, a passport
number, a Dutch BSN) only next to the word that names them, so order and tracking numbers of
the same length stay readable.
"""

from __future__ import annotations

import re

from router.guard.checksums import dni_valid, luhn_valid
from router.guard.spans import Span, has_context

NATIONAL_ID = "NATIONAL_ID"
PASSPORT = "PASSPORT"

_NON_ALNUM_RE = re.compile(r"[^0-9A-Za-z]")
_SEP = r"(?: ?[-./] ?| )"

# --- US Social Security number -----------------------------------------------------------------
_SSN_AREA = r"(?!000|666|9\d\d)\d{3}"
# one separator written the same way twice: found anywhere
_SSN_RE = re.compile(
    r"(?<![\w.-])" + _SSN_AREA + r"(" + _SEP + r")(?!00)\d{2}\1(?!0000)\d{4}(?![\w-]|[.,/]\d)"
)
# no separator, or mixed ones: only next to the word
# (a separator after the fifth digit only is a ZIP+4 code, "62704-1234", not an SSN)
_SSN_LOOSE_RE = re.compile(
    r"(?<![\w.-])" + _SSN_AREA + r"(?:[-. ](?!00)\d{2}[-. ]?|(?!00)\d{2})(?!0000)\d{4}"
    r"(?![\w-]|[.,/]\d)"
)
_SSN_WORDS_RE = re.compile(
    r"\b(?:ssn|ss ?#|ss no|social security|soc\.? ?sec|social)\b", re.IGNORECASE
)

# --- UK National Insurance number (prefix rules loose on purpose: QQ is the usual example) ----
_NI_BODY = r"[A-Z]{2}[ .-]?\d{2}[ .-]?\d{2}[ .-]?\d{2}[ .-]?[A-D]"
_UK_NI_RE = re.compile(r"(?<![A-Za-z0-9])" + _NI_BODY + r"(?![A-Za-z0-9])")
_UK_NI_ANY_CASE_RE = re.compile(r"(?<![A-Za-z0-9])" + _NI_BODY + r"(?![A-Za-z0-9])", re.IGNORECASE)
_NI_WORDS_RE = re.compile(r"\b(?:ni|nino|nin|national insurance)\b", re.IGNORECASE)

# --- Canadian Social Insurance number (Luhn) --------------------------------------------------
_SIN_RE = re.compile(r"(?<![\w.-])\d{3}(" + _SEP + r")\d{3}\1\d{3}(?![\w-]|[.,/]\d)")
_SIN_LOOSE_RE = re.compile(r"(?<![\w.-])\d{3}[-. ]?\d{3}[-. ]?\d{3}(?![\w-]|[.,/]\d)")
_SIN_WORDS_RE = re.compile(r"\b(?:sin|social insurance)\b", re.IGNORECASE)

# --- Spanish DNI / NIE (check letter) ---------------------------------------------------------
_DNI_BODY = r"(?<![\w.-])([XYZ][- ]?\d{7}|\d{8}|\d{2}\.\d{3}\.\d{3})"
_DNI_RE = re.compile(_DNI_BODY + r"(-?)([A-Z])(?![\w-])")
_DNI_ANY_RE = re.compile(_DNI_BODY + r"([- ]?)([A-Za-z])(?![\w-])")
_DNI_WORDS_RE = re.compile(r"\b(?:dni|nie|nif|documento nacional)\b", re.IGNORECASE)

# --- any other national number, next to the word that names it -------------------------------
_ID_WORDS_RE = re.compile(
    r"\b(?:national (?:id(?:entity)?|identification|insurance)(?: card)?(?: number| no\.?| #)?"
    r"|(?:personal |citizen |identity |id )(?:card |document )?(?:number|no\.?|code)"
    r"|id(?:entity)? card|tax (?:id|identification number|number|file number)|tin|nif|bsn"
    r"|cpr(?:-nummer)?|personnummer|henkilötunnus|steuer-?id|steueridentifikationsnummer"
    r"|sozialversicherungsnummer|personalausweis(?:nummer)?|codice fiscale|nir"
    r"|num[ée]ro de s[ée]curit[ée] sociale|aadhaa?r|pan (?:card|number)|pesel|curp|rut|cpf|rfc"
    r"|ppsn?|pps number|medicare number|nhs number|ssn|social security(?: number)?"
    r"|sin|social insurance(?: number)?|national insurance number)\b",
    re.IGNORECASE,
)
# groups that each hold a digit ("12 345 678 901", "AB-123456", "756.1234.5678.97")
_ID_VALUE_RE = re.compile(r"(?<![\w-])(?:[A-Z]{1,3}[.-]?)?\d[A-Za-z0-9]*(?:[ ./-]\d[A-Za-z0-9]*)*")

# --- passports ----------------------------------------------------------------------------------
_PASSPORT_WORDS_RE = re.compile(
    r"\b(?:passport|passports|reisepass|pasaporte|passeport|passaporto|paspoort|pass(?:nummer|-nr))"
    r"\b", re.IGNORECASE,
)
_PASSPORT_VALUE_RE = re.compile(
    r"(?<![\w-])(?:[A-Z]{1,2}[ -]\d{6,8}|[A-Za-z0-9]{6,10})(?![\w-])"
)

# what may stand between a keyword and its number: "number is", "no.:", "#", "(UK) -"
_GAP_RE = re.compile(
    r"^[\s:#=,-]*(?:(?:numbers?|no\.?|nr\.?|num|is|was|reads|card|id|code|of|my|the|here"
    r"|it's|its|\([^()\d\n]{1,12}\))[\s:#=,.-]*){0,5}$",
    re.IGNORECASE,
)


def _spans(kind: str, matches: list[re.Match[str]]) -> list[Span]:
    return [Span(kind, m.start(), m.end(), m.group()) for m in matches]


def _digit_count(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


def _ssn_spans(text: str) -> list[Span]:
    found = _spans(NATIONAL_ID, list(_SSN_RE.finditer(text)))
    found += _spans(NATIONAL_ID, [
        m for m in _SSN_LOOSE_RE.finditer(text)
        if has_context(text, m.start(), m.end(), _SSN_WORDS_RE, width_after=20)
    ])
    return found


def _ni_spans(text: str) -> list[Span]:
    found = _spans(NATIONAL_ID, list(_UK_NI_RE.finditer(text)))
    found += _spans(NATIONAL_ID, [
        m for m in _UK_NI_ANY_CASE_RE.finditer(text)
        if has_context(text, m.start(), m.end(), _NI_WORDS_RE, width_after=20)
    ])
    return found


def _sin_spans(text: str) -> list[Span]:
    found = [m for m in _SIN_RE.finditer(text) if luhn_valid(_NON_ALNUM_RE.sub("", m.group()))]
    found += [
        m for m in _SIN_LOOSE_RE.finditer(text)
        if luhn_valid(_NON_ALNUM_RE.sub("", m.group()))
        and has_context(text, m.start(), m.end(), _SIN_WORDS_RE, width_after=20)
    ]
    return _spans(NATIONAL_ID, found)


def _dni_spans(text: str) -> list[Span]:
    def valid(m: re.Match[str]) -> bool:
        number = _NON_ALNUM_RE.sub("", m.group(1)).upper()
        return dni_valid(number, m.group(3))

    found = [m for m in _DNI_RE.finditer(text) if valid(m)]
    found += [
        m for m in _DNI_ANY_RE.finditer(text)
        if valid(m) and has_context(text, m.start(), m.end(), _DNI_WORDS_RE, width_after=20)
    ]
    return _spans(NATIONAL_ID, found)


def after_keyword(text: str, words: re.Pattern[str], value: re.Pattern[str], kind: str,
                  min_digits: int) -> list[Span]:
    """Values of ``value``'s shape written shortly after one of ``words`` ("passport number
    is C01X00T47"): what stands between holds no digit and no sentence end."""
    spans: list[Span] = []
    for word in words.finditer(text):
        window_end = min(len(text), word.end() + 60)
        for m in value.finditer(text, word.end(), window_end):
            gap = text[word.end() : m.start()]
            if not _GAP_RE.match(gap):
                break
            if _digit_count(m.group()) >= min_digits:
                spans.append(Span(kind, m.start(), m.end(), m.group()))
                break
    return spans


def find_national_ids(text: str) -> list[Span]:
    """US SSN, UK NI, Canadian SIN (Luhn), Spanish DNI/NIE (check letter), and any number
    written right after a national-id word ("BSN 123456782", "Steuer-ID: 12 345 678 901")."""
    found = _ssn_spans(text) + _ni_spans(text) + _sin_spans(text) + _dni_spans(text)
    found += after_keyword(text, _ID_WORDS_RE, _ID_VALUE_RE, NATIONAL_ID, min_digits=5)
    return found


def find_passports(text: str) -> list[Span]:
    """Passport numbers (6-10 letters and digits, at least three digits) after "passport"."""
    return after_keyword(text, _PASSPORT_WORDS_RE, _PASSPORT_VALUE_RE, PASSPORT, min_digits=3)
