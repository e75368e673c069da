"""Span finders for personal data, and :func:`find_pii`, which runs them all.

Cards, IBANs and phones live here; e-mails, identity numbers, addresses, dates of birth and
names have modules of their own (``emails.py``, ``idnumbers.py``, ``addresses.py``,
``birthdates.py``, ``names.py``). Each finder returns character spans over the original text
so that redaction can replace them in one left-to-right pass, and so the verifier can reuse the
same notion of "a phone number". Checksums (Luhn, mod-97, check letters) are what separate a
card or an IBAN from any long number, and separators are ignored before they are computed
(``4111.1111.1111.1111``, ``DE89-3704-0044-0532-0130-00``); kinds without a checksum (dates of
birth, passport numbers, SSNs written without separators) are found only next to the words
that name them. Over-redaction only costs the hosted model a little context, but a missed card
leaves the machine, so shapes are generous and checksums or context decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from router.guard.addresses import ADDRESS, POSTCODE, find_addresses, find_postcodes
from router.guard.birthdates import DATE_OF_BIRTH, find_dates_of_birth
from router.guard.checksums import iban_valid
from router.guard.emails import EMAIL, find_all_emails, find_emails
from router.guard.idnumbers import NATIONAL_ID, PASSPORT, find_national_ids, find_passports
from router.guard.names import NAME, find_names
from router.guard.spans import Span, before

CARD = "CARD"
IBAN = "IBAN"
PHONE = "PHONE"

#: Detection order doubles as priority: an earlier kind wins an overlapping span.
KINDS: tuple[str, ...] = (
    EMAIL, IBAN, NATIONAL_ID, PASSPORT, CARD, DATE_OF_BIRTH, POSTCODE, ADDRESS, PHONE, NAME
)

__all__ = [
    "ADDRESS", "CARD", "DATE_OF_BIRTH", "EMAIL", "IBAN", "KINDS", "NAME", "NATIONAL_ID",
    "PASSPORT", "PHONE", "POSTCODE", "Span", "find_addresses", "find_cards",
    "find_dates_of_birth", "find_emails", "find_ibans", "find_names", "find_national_ids",
    "find_passports", "find_phones", "find_pii", "find_postcodes",
]

# --- cards: runs of digit groups separated by a space, dash, dot, slash or underscore --------
# (a dot then a space ends a sentence: "… 555-0073. 24.9.1967 …" is two numbers)
_CARD_SEP = r"(?: [-./_] |[-./_]| )"
_DIGIT_RUN_RE = re.compile(r"(?<![\w$€£])\d+(?:" + _CARD_SEP + r"\d+)*(?![\w]|,\d)")
_GROUP_RE = re.compile(r"\d+")
_CARD_WORDS_RE = re.compile(
    r"\b(?:card|cards|visa|mastercard|master card|amex|american express|discover|maestro|diners"
    r"|jcb|unionpay|credit|debit|cc|cvv|cvc|expir\w*)\b",
    re.IGNORECASE,
)
# a compact number right after one of these words is a reference, not a card or a phone
_REFERENCE_BEFORE_RE = re.compile(
    r"\b(?:order|orders|purchase|invoice|tracking|shipment|parcel|package|reference|ref|booking"
    r"|confirmation|ticket|case|transaction|receipt|sku|serial|item|return|rma|reservation"
    r"|voucher|coupon|gift card|customer|member(?:ship)?|loyalty)"
    r"(?:[\s:#{(,]+|\b(?:with|the|number|no|num|nr|id|code|is|was|of|labell?ed|marked|called"
    r"|named|reading)\b\.?)*$",
    re.IGNORECASE,
)

# --- IBAN: country code, check digits, then alphanumeric groups (shrunk until mod-97 holds) ---
_IBAN_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]{2}[ .-]?|[A-Za-z]{2})\d{2}[A-Za-z0-9]*"
    r"(?:(?: [-./] |[-./]| )[A-Za-z0-9]+){0,12}"
)
_ALNUM_RE = re.compile(r"[A-Za-z0-9]+")
_NON_ALNUM_RE = re.compile(r"[^A-Za-z0-9]")
#: ISO 13616 registry: the length of every country's IBAN.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

# --- phones ----------------------------------------------------------------------------------
# A run of digit groups ("+44 (0)20 7946-0958"), possibly several numbers written side by
# side; _phone_windows decides which groups form a phone. A separator is mandatory between
# plain digit groups, so matching stays linear.
_PHONE_RUN_RE = re.compile(
    r"""
    (?<![\w#$€£+.,/:-])                           # not the tail of a word, amount or path
    \+?\(?\d+\)?
    (?:(?:[ .-]|(?<=\))|(?=\())\(?\d+\)?)*
    (?![\w/])
    """,
    re.VERBOSE,
)
_PHONE_GROUP_RE = re.compile(r"\+?\(?\d+\)?")
_DATE_PREFIX_RE = re.compile(
    r"^(?:19|20)\d{2}[-./ ]\d{1,2}[-./ ]\d{1,2}\b|^\d{1,2}[-./]\d{1,2}[-./]"
)
_DOTTED_QUAD_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_NON_DIGIT_RE = re.compile(r"\D")
_PHONE_WORD_RE = re.compile(
    r"\b(?:phone|tel|telephone|call|mobile|cell|whatsapp|sms|fax|text me|reach me)\b",
    re.IGNORECASE,
)


def _digits(text: str) -> str:
    return _NON_DIGIT_RE.sub("", text)


def _pick_windows(
    n: int, accept: Callable[[int, int], bool], max_groups: int, blocked: frozenset[int]
) -> list[tuple[int, int]]:
    """Greedy leftmost-longest windows of groups ``i..j`` that ``accept`` and skip ``blocked``."""
    picked: list[tuple[int, int]] = []
    i = 0
    while i < n:
        hit = None
        if i not in blocked:
            for j in range(min(n, i + max_groups) - 1, i - 1, -1):
                if blocked and blocked.intersection(range(i, j + 1)):
                    continue
                if accept(i, j):
                    hit = j
                    break
        if hit is None:
            i += 1
        else:
            picked.append((i, hit))
            i = hit + 1
    return picked


def _canonical_card_layout(lengths: list[int], seps: list[str]) -> bool:
    """4-4-4-4(-3), 4-6-5, 4-6-4 or one block, with one kind of separator."""
    if len({sep.strip() for sep in seps}) > 1:
        return False
    if len(lengths) == 1 or lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(x == 4 for x in lengths[:-1]) and 1 <= lengths[-1] <= 4


class _LuhnPrefix:
    """Luhn checks of any slice of one digit string in constant time (a long run of digit
    groups has many candidate windows; checking each from scratch was quadratic)."""

    _DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)

    def __init__(self, digits: str) -> None:
        # sums[parity][k]: digits before k, those at an index of that parity doubled
        self.sums: tuple[list[int], list[int]] = ([0], [0])
        for index, ch in enumerate(digits):
            d = ord(ch) - 48
            for parity in (0, 1):
                term = self._DOUBLED[d] if index % 2 == parity else d
                self.sums[parity].append(self.sums[parity][-1] + term)

    def valid(self, start: int, end: int) -> bool:
        """Luhn of ``digits[start:end]``: the last digit is not doubled, the one before is."""
        sums = self.sums[end % 2]
        return (sums[end] - sums[start]) % 10 == 0


def _cards_in_run(text: str, groups: list[tuple[int, int]]) -> list[Span]:
    lengths = [end - start for start, end in groups]
    seps = [text[groups[k][1] : groups[k + 1][0]] for k in range(len(groups) - 1)]
    prefix = [0]  # digits before group k, so most windows are rejected without slicing
    for length in lengths:
        prefix.append(prefix[-1] + length)

    luhn = _LuhnPrefix("".join(text[start:end] for start, end in groups))

    def card_length(i: int, j: int) -> bool:
        return 13 <= prefix[j + 1] - prefix[i] <= 19

    def valid(i: int, j: int) -> bool:
        # no card number starts with 0 (ISO/IEC 7812 issuer numbers); "0044 …" is a phone
        return (card_length(i, j) and text[groups[i][0]] != "0"
                and luhn.valid(prefix[i], prefix[j + 1]))

    def canonical(i: int, j: int) -> bool:
        return valid(i, j) and _canonical_card_layout(lengths[i : j + 1], seps[i:j])

    first = _pick_windows(len(groups), canonical, 19, frozenset())
    taken = frozenset(k for i, j in first for k in range(i, j + 1))
    windows = first + _pick_windows(len(groups), valid, 19, taken)
    return [
        Span(CARD, groups[i][0], groups[j][1], text[groups[i][0] : groups[j][1]])
        for i, j in sorted(windows)
    ]


def _reference_before(text: str, start: int) -> bool:
    """Whether an order/tracking/invoice word (and no card or phone word) comes just before."""
    head = before(text, start, 40)
    return bool(_REFERENCE_BEFORE_RE.search(head)) and not _CARD_WORDS_RE.search(head)


def _first_group_allowed(text: str, start: int) -> bool:
    """A run right after "#", "." or "/" starts with a reference, a decimal or a path segment
    unless a card word is near ("card #4111111111111111", "card no.4111...")."""
    if start == 0 or text[start - 1] not in "#./,":
        return True
    if start >= 2 and text[start - 2].isdigit():
        return False  # "1.4111…": the tail of a decimal number
    return bool(_CARD_WORDS_RE.search(before(text, start, 40)))


def find_cards(text: str) -> list[Span]:
    """Card numbers: 13-19 digits in groups, Luhn-valid.

    Numbers written side by side form one run of groups, so windows in the usual card layouts
    are taken first; only then any Luhn-valid window, so a neighbouring number cannot pull a
    card's leading groups into a chance-valid window and leave its tail behind. Groups may be
    separated by a space, a dash, a dot, a slash or an underscore, with or without spaces
    around it. A run written in one block right after "order", "tracking", "invoice"... is a
    reference that happens to pass Luhn (one number in ten does), not a card.
    """
    spans: list[Span] = []
    for run in _DIGIT_RUN_RE.finditer(text):
        groups = [(run.start() + g.start(), run.start() + g.end())
                  for g in _GROUP_RE.finditer(run.group())]
        if not _first_group_allowed(text, run.start()):
            groups = groups[1:]
        elif run.start() > 0 and text[run.start() - 1] == "+":
            groups = groups[1:]  # "+44 …": a country code starts a phone, never a card
        for span in _cards_in_run(text, groups):
            compact = span.value.isdecimal()
            if compact and span.start == groups[0][0] and _reference_before(text, span.start):
                continue
            spans.append(span)
    return spans


def _iban_candidate_ok(compact: str) -> bool:
    """A registered country's exact length, then mod-97 (a chance pass is 1 in 97, so an
    unregistered "country" such as "cc 4402 …" is not tried at all)."""
    return len(compact) == IBAN_LENGTHS.get(compact[:2].upper()) and iban_valid(compact)


def _iban_token_ends(candidate: str) -> list[int]:
    """Ends of the groups that may belong to the IBAN starting ``candidate``: letters in the
    country code's case, and no word longer than four letters ("… 63 B for payroll")."""
    upper = candidate[:2].isupper()
    ends: list[int] = []
    for token in _ALNUM_RE.finditer(candidate):
        word = token.group()
        letters = "".join(ch for ch in word if ch.isalpha())
        if letters and (letters.isupper() != upper or (len(word) > 4 and word.isalpha())):
            break
        ends.append(token.end())
    return ends


def find_ibans(text: str) -> list[Span]:
    """IBANs of the ISO 13616 registry's countries, compact or grouped by spaces, dashes, dots
    or slashes; trailing groups are dropped until the country's length and mod-97 hold."""
    spans: list[Span] = []
    pos = 0
    while (m := _IBAN_RE.search(text, pos)) is not None:
        ends = _iban_token_ends(m.group())
        pos = m.start() + 1  # a failed candidate may hide a real IBAN among its tokens
        for end in reversed(ends):
            candidate = m.group()[:end]
            compact = _NON_ALNUM_RE.sub("", candidate)
            if len(compact) < 15:
                break
            if _iban_candidate_ok(compact):
                spans.append(Span(IBAN, m.start(), m.start() + end, candidate))
                pos = m.start() + end
                break
    return spans


def _phone_like(candidate: str, head: str) -> bool:
    digits = _digits(candidate)
    if not 9 <= len(digits) <= 15:
        return False
    if _DATE_PREFIX_RE.search(candidate) or _DOTTED_QUAD_RE.match(candidate):
        return False
    separated = candidate.startswith(("+", "(")) or any(c in candidate for c in " .-()")
    # A bare run of digits is only a phone when it carries a trunk prefix or follows a phone
    # word; otherwise it is as likely an order, account or tracking number.
    if _PHONE_WORD_RE.search(head):
        return True
    if separated:
        return True
    return candidate.startswith("0") and not _REFERENCE_BEFORE_RE.search(head)


def _phone_windows(text: str, run: re.Match[str]) -> list[Span]:
    """The phones a run of digit groups holds.

    A window of groups is a phone when it looks like one (nine to fifteen digits, not a date or
    an IP address) and it is the whole run, or it starts like a phone ("+", "(", a trunk "0"),
    or it sits between plain spaces while using other separators inside ("415-555-0132" next
    to "1299.00"). A window of space-separated groups inside a longer run is not a phone: the
    leading groups of a mistyped card or a long reference would otherwise match.
    """
    groups = [
        (run.start() + g.start(), run.start() + g.end())
        for g in _PHONE_GROUP_RE.finditer(run.group())
    ]
    n = len(groups)
    seps = [text[groups[k][1] : groups[k + 1][0]] for k in range(n - 1)]

    def accept(i: int, j: int) -> bool:
        start, end = groups[i][0], groups[j][1]
        if not _phone_like(text[start:end], before(text, start, 30)):
            return False
        if (i == 0 and j == n - 1) or text[start] in "+(0":
            return True
        inner = seps[i:j]
        outer_spaces = (i == 0 or seps[i - 1] == " ") and (j == n - 1 or seps[j] == " ")
        return outer_spaces and any(sep != " " for sep in inner)

    return [
        Span(PHONE, groups[i][0], groups[j][1], text[groups[i][0] : groups[j][1]])
        for i, j in _pick_windows(n, accept, 8, frozenset())
    ]


def find_phones(text: str) -> list[Span]:
    """International (+ / 00) and national phone numbers with nine to fifteen digits."""
    return [span for run in _PHONE_RUN_RE.finditer(text) for span in _phone_windows(text, run)]


FINDERS: dict[str, Callable[[str], list[Span]]] = {
    EMAIL: find_all_emails,
    IBAN: find_ibans,
    NATIONAL_ID: find_national_ids,
    PASSPORT: find_passports,
    CARD: find_cards,
    DATE_OF_BIRTH: find_dates_of_birth,
    POSTCODE: find_postcodes,
    ADDRESS: find_addresses,
    PHONE: find_phones,
}


_MASK = "\x00"  # neither a word character, a digit nor a separator: ends every run


def find_pii(
    text: str, *, kinds: Collection[str] | None = None, names: Sequence[str] = ()
) -> list[Span]:
    """All personal-data spans, non-overlapping, sorted by position.

    Kinds run in :data:`KINDS` order and each one sees the text with the spans already taken
    masked out, so an IBAN's digits cannot swallow the card number written right after it.
    Within a kind the leftmost, then longest, span wins. ``kinds`` limits the search (default:
    every kind); ``names`` are the requester's names for ``NAME``.
    """
    taken: list[Span] = []
    masked = text
    for kind in KINDS:
        if kinds is not None and kind not in kinds:
            continue
        found = find_names(masked, names) if kind == NAME else FINDERS[kind](masked)
        for span in sorted(found, key=lambda s: (s.start, -s.end)):
            if _MASK in masked[span.start : span.end]:
                continue  # overlaps a span taken earlier
            taken.append(Span(kind, span.start, span.end, text[span.start : span.end]))
            masked = masked[: span.start] + _MASK * (span.end - span.start) + masked[span.end :]
    return sorted(taken, key=lambda s: s.start)
