"""``multi_request``: one ticket carrying several distinct asks.

A small model answers one intent; with three asks it answers one and drops two, and the
ticket reopens. The detector is conservative: two questions about the same order are normal,
so it needs three questions, a numbered list of asks, an announced new subject followed by
an ask ("separately, ...", "two things: ..."), or "also, can you ..." after an earlier ask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from router.domain import Signal
from router.signals.rules import clip, scan_text

_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")  # linear: each run is consumed once
_NUMBERED = re.compile(r"(?m)(?:^|(?<=\s))\(?(?:[1-9]|[a-f])[.)]\s+(?=\w)")
_ASK = re.compile(
    r"\?|\b(?:please|can\s+(?:you|i)|could\s+you|i\s+(?:need|want|would\s+like)|how|why|when|"
    r"where|what|is\s+it\s+possible)\b",
)
# A new subject announced outright: an ask after it is enough.
_NEW_SUBJECT = re.compile(
    r"\b(?:and\s+another\s+thing|one\s+more\s+thing|another\s+(?:question|thing|issue|problem)|"
    r"separately,|unrelated(?:ly)?,|on\s+(?:a|another)\s+(?:different\s+|separate\s+)?note|"
    r"while\s+i(?:['’]m|\s+am|\s+have)\s+you|second(?:ly)?,|second\s+(?:question|issue)|"
    r"p\.\s?s\.|(?:two|three|a\s+few|several|a\s+couple\s+of|2|3)\s+(?:things|questions|"
    r"issues|requests)\s*[:,-])",
)
# "Also, can you ..." only counts after an earlier ask.
_ALSO = re.compile(
    r"(?:^|[.!?]\s*)also,?\s+(?:can|could|how|why|when|where|what|is|are|do|does|i\s+(?:need|"
    r"want|would)|please|my)\b",
    re.MULTILINE,
)
_IMPERATIVE = re.compile(
    r"(?:please\s+)?(?:update|change|cancel|close|send|refund|add|remove|replace|fix|check|"
    r"explain|reset|unlock|confirm|tell|give|issue|reissue|activate|increase|lower)\b",
)


def _questions(text: str) -> int:
    """Question sentences of four words or more ("ok?", "days, weeks, months?" don't count)."""
    return sum(
        1 for s in _SENTENCE.findall(text) if s.rstrip().endswith("?") and len(s.split()) >= 4
    )


def _words_after(text: str, match: re.Match[str], minimum: int = 3) -> bool:
    """A marker must be followed by an actual ask, not end the ticket ("...separately?")."""
    return len(text[match.end() :].split()) >= minimum


def _numbered_asks(text: str) -> int:
    """Items of a numbered list that read as asks (a narrative in steps does not count)."""
    starts = [m.end() for m in _NUMBERED.finditer(text)]
    if len(starts) < 2:
        return 0
    bounds = [*starts[1:], len(text)]
    return sum(
        1
        for a, b in zip(starts, bounds, strict=True)
        if _ASK.search(text, a, b) or _IMPERATIVE.match(text, a)
    )


@dataclass(frozen=True)
class MultiRequestDetector:
    """Fires on ``min_questions`` questions, a numbered list of asks, or a change of subject."""

    name: str = "multi_request"
    min_questions: int = 3

    def detect(self, text: str, embedding: np.ndarray | None = None) -> Signal | None:
        text = scan_text(text)
        questions = _questions(text) if text.count("?") >= 1 else 0
        if questions >= self.min_questions:
            return self._signal(questions, f"{questions} questions")
        listed = _numbered_asks(text)
        if listed >= 2:
            return self._signal(listed, f"numbered list of {listed} asks")
        new_subject = _NEW_SUBJECT.search(text)
        if new_subject and _ASK.search(text, new_subject.end()) and _words_after(text, new_subject):
            return self._signal(2, f"new subject '{clip(new_subject.group(0).strip(' .,:-'))}'")
        also = _ALSO.search(text)
        if also and _ASK.search(text, 0, also.start() + 1) and questions >= 1:
            return self._signal(2, f"second ask '{clip(also.group(0).strip(' .!?'))}'")
        return None

    def _signal(self, asks: int, why: str) -> Signal:
        return Signal(self.name, min(1.0, asks / 4), f"several requests: {why}")


MULTI_REQUEST = MultiRequestDetector()
