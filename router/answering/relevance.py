"""Does an approved answer address *this* question, not just its intent?

Retrieval always returns the closest approved answers, even for a question the knowledge base
does not cover ("Do you ship to Canada?" gets the shipping-times article). The check compares
the ticket with the chosen answer and with the question that answer was written for, and
refuses the answer below a threshold calibrated on labelled data (docs/KB.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from router.kb.retrieve import KnowledgeBase, Passage
from router.kb.settings import KBSettings


@dataclass(frozen=True)
class Coverage:
    covered: bool
    score: float
    question_similarity: float
    passage_similarity: float
    why: str = ""  # why it does not cover (empty when it does)


@dataclass(frozen=True)
class RelevanceCheck:
    min_relevance: float | None

    @classmethod
    def from_settings(cls, settings: KBSettings) -> RelevanceCheck:
        return cls(settings.min_relevance)

    def judge(self, text: str, query_vec: np.ndarray, passage: Passage,
              kb: KnowledgeBase) -> Coverage:
        question = kb.encode([passage.question])[0] if passage.question.strip() else None
        q_sim = float(np.dot(question, query_vec)) if question is not None else 0.0
        p_sim = float(passage.score)
        score = max(q_sim, p_sim)
        if self.min_relevance is not None and score < self.min_relevance:
            return Coverage(False, score, q_sim, p_sim,
                            f"relevance {score:.2f} < {self.min_relevance:.2f}")
        return Coverage(True, score, q_sim, p_sim)
