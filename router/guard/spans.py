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


def after(text: str, end: int, width: int) -> str:
    """Up to ``width`` characters after ``end`` on the same line."""
    return text[end : end + width].split("\n", 1)[0]


def has_context(text: str, start: int, end: int, words: re.Pattern[str], *,
                width_before: int = 40, width_after: int = 0) -> bool:
    """Whether ``words`` occurs just before (or, when asked, just after) ``text[start:end]``."""
    if words.search(before(text, start, width_before)):
        return True
    return width_after > 0 and bool(words.search(after(text, end, width_after)))
