"""Prepare: normalise the ticket, retrieve approved answers, keep those that cover it.

Every leg starts here, so the local and the hosted leg see the same approved answers for the
same ticket, and the relevance check (:mod:`router.answering.relevance`) is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from router.answering.relevance import Coverage, RelevanceCheck
from router.guard.normalize import normalize_text
from router.kb.retrieve import KnowledgeBase, Passage
from router.kb.settings import KBSettings
from router.kb.template import fill_template


@dataclass(frozen=True)
class Grounding:
    """The normalised ticket and the approved answers that address it (best first)."""

    text: str
    passages: tuple[Passage, ...]
    coverage: Coverage | None  # the check's figures for the best candidate; None: no KB

    @property
    def covered(self) -> bool:
        return bool(self.passages)


def ground(text: str, intent: str | None, kb: KnowledgeBase | None, settings: KBSettings,
           *, k: int, query_vec: np.ndarray | None = None) -> Grounding:
    """Retrieve ``k`` approved answers and keep the ones the relevance check accepts."""
    text = normalize_text(text)  # what retrieval, redaction and the verifier all read
    if kb is None or not len(kb) or k <= 0:
        return Grounding(text, (), None)
    if query_vec is None:
        query_vec = kb.encode([text])[0]
    found = kb.retrieve(text, intent, k=k, query_vec=query_vec)
    check = RelevanceCheck.from_settings(settings)
    judged = [(p, check.judge(text, query_vec, p, kb)) for p in found]
    covering = tuple(p for p, c in judged if c.covered)
    return Grounding(text, covering, judged[0][1] if judged else None)


def fill(passages: tuple[Passage, ...] | list[Passage], ticket: str,
         settings: KBSettings) -> list[str]:
    """The approved answers with their placeholders filled from ``ticket``."""
    return [fill_template(p.answer, ticket, facts=settings.placeholders) for p in passages]
