"""``too_long``: the ticket would not fit the SLM's context next to its prompt and answer.

A truncated ticket gets an answer to half a question. Tokens are estimated, not counted
(a tokenizer costs milliseconds): UTF-8 bytes / 4 is close for English and, unlike
characters / 4, does not undercount non-Latin scripts, whose characters take several bytes
and usually several tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from router.domain import Signal

BYTES_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Rough token count: UTF-8 bytes / 4, rounded up."""
    return -(-len(text.encode("utf-8")) // BYTES_PER_TOKEN)


@dataclass(frozen=True)
class LengthDetector:
    """Fires above ``max_tokens`` estimated tokens (default budget: 1200)."""

    max_tokens: int = 1200
    name: str = "too_long"

    def detect(self, text: str, embedding: np.ndarray | None = None) -> Signal | None:
        if len(text) <= self.max_tokens:  # a char is at most 4 bytes: cannot exceed the budget
            return None
        tokens = estimate_tokens(text)
        if tokens <= self.max_tokens:
            return None
        return Signal(
            self.name,
            round(min(1.0, 0.5 + (tokens - self.max_tokens) / (2 * self.max_tokens)), 3),
            f"too long: about {tokens} tokens, budget {self.max_tokens}",
        )
