"""Does an approved answer address *this* question, not just its intent?

Retrieval always returns the closest approved answer, even for a question the knowledge base
does not cover ("Do you ship to Canada?" gets the shipping-times article). Three checks, all
needed, refuse such a match (the ticket then escalates with "no approved answer covers this"):

1. **key terms**: a place, brand, policy or price term the ticket names ("Canada", "Bitcoin",
   "exchange", "instalments") must appear in the approved answer or its question;
2. **similarity floor**: the cosine between the ticket and the entry's question + answer must
   reach ``min_relevance``. Unless set, the floor is *calibrated per knowledge base* from its
   own labelled questions: the ``relevance_quantile`` (0.75) of the scores each entry's question
   gets against answers of other intents — how well a question of a topic the KB lacks still
   matches. The quantile and the margin below were chosen on Bitext valid rows (docs/KB.md);
3. **intent margin**: the chosen answer must beat the best answer of any other intent by
   ``min_intent_margin`` (0.02): when another topic matches as well, the ticket is ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from router.guard.claims import find_claims
from router.kb.retrieve import KnowledgeBase, Passage
from router.kb.settings import KBSettings

#: Claim families whose terms name what a question is about (dates and delays only describe
#: the customer's situation: "I ordered last week").
KEY_FAMILIES = frozenset({"place", "brand", "policy", "price"})


@dataclass(frozen=True)
class Coverage:
    covered: bool
    score: float  # cosine between the ticket and the entry's question + answer
    floor: float | None  # the similarity it needed
    margin: float  # over the best answer of another intent
    why: str = ""  # why it does not cover (empty when it does)


def missing_key_terms(text: str, passage: Passage) -> list[str]:
    """Key terms of the ticket that neither the approved answer nor its question mention."""
    body = f"{passage.question}\n{passage.answer}"
    missing: list[str] = []
    for claim in find_claims(text):
        if claim.family not in KEY_FAMILIES or claim.surface in missing:
            continue
        words = r"\s+".join(map(re.escape, claim.surface.split()))
        flags = 0 if claim.surface.isupper() else re.IGNORECASE
        if not re.search(r"(?<![\w-])" + words + r"(?![\w-])", body, flags):
            missing.append(claim.surface)
    return missing


@dataclass(frozen=True)
class RelevanceCheck:
    min_relevance: float | None
    quantile: float
    min_margin: float

    @classmethod
    def from_settings(cls, settings: KBSettings) -> RelevanceCheck:
        return cls(settings.min_relevance, settings.relevance_quantile,
                   settings.min_intent_margin)

    def floor(self, kb: KnowledgeBase) -> float | None:
        if self.min_relevance is not None:
            return self.min_relevance
        wrong = kb.wrong_topic_scores()
        return float(np.quantile(wrong, self.quantile)) if wrong.size else None

    def judge(self, text: str, query_vec: np.ndarray, passage: Passage,
              kb: KnowledgeBase) -> Coverage:
        floor = self.floor(kb)
        margin = kb.intent_margin(passage, query_vec)
        score = float(passage.score)
        missing = missing_key_terms(text, passage)
        if missing:
            why = f"the approved answer does not mention {', '.join(missing)}"
        elif floor is not None and score < floor:
            why = f"relevance {score:.2f} < {floor:.2f}"
        elif margin < self.min_margin:
            why = f"another topic matches as well (margin {margin:.2f} < {self.min_margin:.2f})"
        else:
            why = ""
        return Coverage(not why, score, floor, margin, why)
