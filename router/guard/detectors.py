"""Span finders for personal data: cards, IBANs, e-mails, phones and national IDs.

Each finder returns character spans over the original text so that redaction can replace them
in one left-to-right pass, and so the verifier can reuse the same notion of "a phone number".
Checksums (Luhn, mod-97, check letters) are what separate a card or an IBAN from any long
number: over-redaction only costs the hosted model a little context, but a missed card leaves
the machine, so shapes are generous and checksums decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from router.guard.checksums import dni_valid, iban_valid, luhn_valid

CARD = "CARD"
IBAN = "IBAN"
EMAIL = "EMAIL"
PHONE = "PHONE"
NATIONAL_ID = "NATIONAL_ID"

#: Detection order doubles as priority: an earlier kind wins an overlapping span.
KINDS: tuple[str, ...] = (EMAIL, IBAN, NATIONAL_ID, CARD, PHONE)


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    value: str


# --- e-mail ---------------------------------------------------------------------------------
_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b"
)

# --- cards: runs of digit groups separated by one space or dash ------------------------------
_DIGIT_RUN_RE = re.compile(r"(?<![\w#$€£.,/])\d+(?:[ -]\d+)*(?![\w/]|[.,]\d)")
_GROUP_RE = re.compile(r"\d+")

# --- IBAN: country code, check digits, then alphanumeric groups (shrunk until mod-97 holds) ---
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}[A-Za-z0-9]*(?: [A-Za-z0-9]+){0,9}")

# --- national IDs ----------------------------------------------------------------------------
_SSN_RE = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
# UK National Insurance number; the prefix rules are loose on purpose (QQ is the usual example).
_UK_NI_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])")
# Canadian SIN (Luhn-checked) and Spanish DNI/NIE (check letter).
_SIN_RE = re.compile(r"(?<![\w-])\d{3}([- ])\d{3}\1\d{3}(?![\w-])")
_DNI_RE = re.compile(r"(?<![A-Za-z0-9])([XYZ]|\d)(\d{7})-?([A-Z])(?![A-Za-z0-9])")

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


def find_emails(text: str) -> list[Span]:
    return [Span(EMAIL, m.start(), m.end(), m.group()) for m in _EMAIL_RE.finditer(text)]


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
    if len(set(seps)) > 1:
        return False
    if len(lengths) == 1 or lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(x == 4 for x in lengths[:-1]) and 1 <= lengths[-1] <= 4


def _cards_in_run(text: str, run: re.Match[str]) -> list[Span]:
    groups = [
        (run.start() + g.start(), run.start() + g.end()) for g in _GROUP_RE.finditer(run.group())
    ]
    lengths = [end - start for start, end in groups]
    seps = [text[groups[k][1] : groups[k + 1][0]] for k in range(len(groups) - 1)]
    before = [0]  # digits before group k, so most windows are rejected without slicing
    for length in lengths:
        before.append(before[-1] + length)

    def card_length(i: int, j: int) -> bool:
        return 13 <= before[j + 1] - before[i] <= 19

    def valid(i: int, j: int) -> bool:
        return card_length(i, j) and luhn_valid(_digits(text[groups[i][0] : groups[j][1]]))

    def canonical(i: int, j: int) -> bool:
        return (
            card_length(i, j)
            and _canonical_card_layout(lengths[i : j + 1], seps[i:j])
            and valid(i, j)
        )

    first = _pick_windows(len(groups), canonical, 19, frozenset())
    taken = frozenset(k for i, j in first for k in range(i, j + 1))
    windows = first + _pick_windows(len(groups), valid, 19, taken)
    return [
        Span(CARD, groups[i][0], groups[j][1], text[groups[i][0] : groups[j][1]])
        for i, j in sorted(windows)
    ]


def find_cards(text: str) -> list[Span]:
    """Card numbers: 13-19 digits in groups, Luhn-valid.

    Numbers written side by side form one run of groups, so windows in the usual card layouts
    are taken first; only then any Luhn-valid window, so a neighbouring number cannot pull a
    card's leading groups into a chance-valid window and leave its tail behind.
    """
    return [span for run in _DIGIT_RUN_RE.finditer(text) for span in _cards_in_run(text, run)]


def find_ibans(text: str) -> list[Span]:
    """IBANs, compact or space-grouped; trailing groups are dropped until mod-97 holds."""
    spans: list[Span] = []
    pos = 0
    while (m := _IBAN_RE.search(text, pos)) is not None:
        tokens = m.group().split(" ")
        pos = m.start() + 1  # a failed candidate may hide a real IBAN among its tokens
        for n in range(len(tokens), 0, -1):
            candidate = " ".join(tokens[:n])
            if iban_valid(candidate.replace(" ", "")):
                spans.append(Span(IBAN, m.start(), m.start() + len(candidate), candidate))
                pos = m.start() + len(candidate)
                break
    return spans


def find_national_ids(text: str) -> list[Span]:
    """US SSN, UK NI, Canadian SIN (Luhn) and Spanish DNI/NIE (check letter)."""
    spans = [Span(NATIONAL_ID, m.start(), m.end(), m.group()) for m in _SSN_RE.finditer(text)]
    spans += [Span(NATIONAL_ID, m.start(), m.end(), m.group()) for m in _UK_NI_RE.finditer(text)]
    spans += [
        Span(NATIONAL_ID, m.start(), m.end(), m.group())
        for m in _SIN_RE.finditer(text)
        if luhn_valid(_digits(m.group()))
    ]
    spans += [
        Span(NATIONAL_ID, m.start(), m.end(), m.group())
        for m in _DNI_RE.finditer(text)
        if dni_valid(m.group(1) + m.group(2), m.group(3))
    ]
    return spans


def _phone_like(candidate: str, before: str) -> bool:
    digits = _digits(candidate)
    if not 9 <= len(digits) <= 15:
        return False
    if _DATE_PREFIX_RE.search(candidate) or _DOTTED_QUAD_RE.match(candidate):
        return False
    separated = candidate.startswith(("+", "(")) or any(c in candidate for c in " .-()")
    # A bare run of digits is only a phone when it carries a trunk prefix or follows a phone
    # word; otherwise it is as likely an order, account or tracking number.
    return separated or candidate.startswith("0") or bool(_PHONE_WORD_RE.search(before))


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
        if not _phone_like(text[start:end], text[max(0, start - 30) : start]):
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
    EMAIL: find_emails,
    IBAN: find_ibans,
    NATIONAL_ID: find_national_ids,
    CARD: find_cards,
    PHONE: find_phones,
}


_MASK = "\x00"  # neither a word character, a digit nor a separator: ends every run


def find_pii(text: str) -> list[Span]:
    """All personal-data spans, non-overlapping, sorted by position.

    Kinds run in :data:`KINDS` order and each one sees the text with the spans already taken
    masked out, so an IBAN's digits cannot swallow the card number written right after it.
    """
    taken: list[Span] = []
    masked = text
    for kind in KINDS:
        for span in FINDERS[kind](masked):
            if _MASK in masked[span.start : span.end]:
                continue  # overlaps a span taken earlier in this kind
            taken.append(Span(kind, span.start, span.end, text[span.start : span.end]))
            masked = masked[: span.start] + _MASK * (span.end - span.start) + masked[span.end :]
    return sorted(taken, key=lambda s: s.start)
