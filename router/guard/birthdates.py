"""Dates of birth: a date written next to "born", "DOB", "date of birth", "birthday is".

Dates alone are everywhere in support tickets (order, delivery and payment dates) and stay
readable; only a date the ticket calls a birth date is redacted. What stands between the word
and the date may only be small connecting words ("I was born on the 2nd of February 1990",
"DOB: 1990-02-01"), so "birthday present ordered on 01/02/2024" is left alone.
"""

from __future__ import annotations

import re

from router.guard.spans import Span, after, before

DATE_OF_BIRTH = "DATE_OF_BIRTH"

_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    r"|Januar|Jänner|Februar|März|Maerz|Mai|Juni|Juli|Oktober|Dezember"
    r"|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre"
    r"|décembre|decembre"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre"
    r"|noviembre|diciembre"
)
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th|er)?\.?"
_YEAR = r"(?:(?:1[89]|20)\d{2}|'?\d{2})"
_DATE_RE = re.compile(
    r"(?<![\w./-])(?:"
    r"\d{1,2} ?[./-] ?\d{1,2} ?[./-] ?(?:\d{4}|\d{2})"  # 02/01/1990, 2.1.90
    r"|(?:1[89]|20)\d{2} ?[./-] ?\d{1,2} ?[./-] ?\d{1,2}"  # 1990-02-01
    r"|" + _DAY + r"(?: of)?[ -](?:" + _MONTHS + r")\.?,?[ -]" + _YEAR  # 2nd of February 1990
    + r"|(?:" + _MONTHS + r")\.? " + _DAY + r",? " + _YEAR  # February 2nd, 1990
    + r"|(?:" + _MONTHS + r")\.?,? (?:1[89]|20)\d{2}"  # March 1990
    + r"|(?:19|20)\d{6}|[0-3]\d[01]\d(?:19|20)\d{2}"  # 19900201, 02011990
    r")(?![\w/-]|[.]\d)",
    re.IGNORECASE,
)
_WORDS = (
    r"born|dob|d\.o\.b\.?|date of birth|birth ?date|birthday|geboren|geb\.|geburtsdatum"
    r"|geburtstag|date de naissance|née?|fecha de nacimiento|nacid[oa]|data di nascita|nat[oa]"
)
# the word, then only connecting words up to the date
_BEFORE_RE = re.compile(
    r"(?<![\w])(?:" + _WORDS + r")(?:[\s:,=()-]|\b(?:is|was|were|on|the|in|of|am|le|el|il|den"
    r"|my|a|at)\b)*$",
    re.IGNORECASE,
)
_AFTER_RE = re.compile(
    r"^[\s(,:–-]*(?:(?:is|was|being|my|=)\s+)*(?:dob|d\.o\.b|date of birth|birth ?date|birthday)\b",
    re.IGNORECASE,
)


def find_dates_of_birth(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _DATE_RE.finditer(text):
        if _BEFORE_RE.search(before(text, m.start(), 60)) or _AFTER_RE.match(
            after(text, m.end(), 40)
        ):
            spans.append(Span(DATE_OF_BIRTH, m.start(), m.end(), m.group()))
    return spans
