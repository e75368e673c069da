"""The span every personal-data finder returns, and the context test several of them share.

Kept apart from :mod:`router.guard.detectors` so that the finders of each family (identity
numbers, addresses, dates of birth, names) can live in small modules of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    value: str


def before(text: str, start: int, width: int) -> str:
    """Up to ``width`` characters before ``start`` on the same line."""
    head = text[max(0, start - width) : start]
    return head.rsplit("\n", 1)[-1]


_SENTENCE_BREAK_RE = re.compile(r"[.!?;]\s+(?=[A-Z])")


_LAST_NUMBER_RE = re.compile(r"^.*[\d\x00]", re.DOTALL)  # \x00: a span already taken


def sentence_before(text: str, start: int, width: int) -> str:
    """Up to ``width`` characters before ``start``, in the same sentence and after any other
    number: a word names the first number after it, so in "SSN 123456789. Springfield, IL
    62704-1234" or "SSN#001010001, passport number 001010002" the second is no SSN."""
    head = before(text, start, width)
    breaks = list(_SENTENCE_BREAK_RE.finditer(head))
    if breaks:
        head = head[breaks[-1].end() :]
    last = _LAST_NUMBER_RE.match(head)
    return head[last.end() :] if last else head


def after(text: str, end: int, width: int) -> str:
    """Up to ``width`` characters after ``end`` on the same line."""
    return text[end : end + width].split("\n", 1)[0]


# what may stand between a value and the word naming it after it: "123456789 (my SSN)",
# "01/02/1990 is my date of birth"
_CONNECTIVES_RE = re.compile(r"^[\s(,:;=–-]*(?:(?:is|was|being|my|the|our|his|her)\s+)*",
                             re.IGNORECASE)


def has_context(text: str, start: int, end: int, words: re.Pattern[str], *,
                width_before: int = 40, width_after: int = 0) -> bool:
    """Whether ``words`` occurs just before ``text[start:end]`` or, when ``width_after`` is
    given, follows it with only connecting words between."""
    if words.search(sentence_before(text, start, width_before)):
        return True
    if width_after <= 0:
        return False
    tail = after(text, end, width_after)
    return bool(words.match(tail, _CONNECTIVES_RE.match(tail).end()))  # type: ignore[union-attr]
