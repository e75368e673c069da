"""Escalation reasons grouped into categories support-ops can act on.

A ticket's ``reason`` is the text the pipeline stored when it escalated ("signal legal_threat:
…; confidence 0.41 < 0.88"), several reasons joined by "; ". Each category is a ``LIKE``-style
pattern over that text; the database groups escalated tickets by reason text and each distinct
text is matched once here. A ticket escalated for two reasons counts under both, one matching
none counts as ``other``. When the pipeline words a reason differently, this table is the one
place to change.
"""

from __future__ import annotations

import re
from functools import lru_cache

from router.domain import SIGNAL_NAMES

REASON_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((f"signal:{name}", (f"%signal {name}:%",)) for name in SIGNAL_NAMES),
    ("policy_rule", ("%rule % matched%",)),
    ("low_confidence", ("%confidence % < %",)),
    ("out_of_scope", ("%out of scope for the local model%", "%is not a routine intent%")),
    ("intent_for_humans", ("%is handled by humans%",)),
    ("follow_up", ("%follow-up%",)),
    ("no_llm_configured", ("%no hosted LLM configured%",)),
    ("no_approved_answer", ("%no approved answer%",)),
    ("local_draft_rejected", ("%verifier rejected the local draft%",)),
    ("hosted_draft_rejected", ("%verifier rejected the hosted draft%",)),
    ("llm_error", ("%hosted LLM call failed%",)),
    ("delivery_failed", ("%delivery failed%", "%no accepted draft to deliver%")),
    ("pipeline_error", ("%step failed%",)),
)
CATEGORIES = tuple(name for name, _ in REASON_PATTERNS) + ("other",)


def _regex(pattern: str) -> re.Pattern[str]:
    """A ``LIKE`` pattern (``%`` any text, ``_`` any one character) as a regular expression."""
    parts = (".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


_COMPILED = tuple((name, tuple(_regex(p) for p in pats)) for name, pats in REASON_PATTERNS)


@lru_cache(maxsize=4096)
def categories(reason: str | None) -> tuple[str, ...]:
    """The categories one stored reason falls under (``other`` when none). Cached: a report
    meets the same few reason texts in every group."""
    text = reason or ""
    found = tuple(name for name, rxs in _COMPILED if any(rx.fullmatch(text) for rx in rxs))
    return found or ("other",)
