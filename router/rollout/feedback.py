"""What an agent did with a draft: sent as-is, edited, rewritten or ignored.

The agent's public reply is compared with the draft twice. A normalised edit distance
(Levenshtein distance over the longer text's length, after case, spacing, a greeting line and
a sign-off are set aside) says how much of the draft's *wording* survived: small distances are
the draft sent as-is or lightly edited. When the wording is mostly gone, the cosine of the
sentence embeddings says whether the *meaning* survived (the agent rewrote the same answer) or
not (the agent wrote something else: the draft was ignored). No reply at all is ``ignored``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from router.domain import FeedbackKind
from router.rollout.settings import FeedbackSettings

Embed = Callable[[Sequence[str]], np.ndarray]  # L2-normalised rows, one per text

_GREETING = re.compile(r"^(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^\n]{0,40}"
                       r"[,!:.]?\s*\n", re.IGNORECASE)
_SIGN_OFF = re.compile(r"\n\s*(best( regards| wishes)?|kind regards|regards|thanks|thank you|"
                       r"many thanks|cheers|sincerely|all the best)\b[^\n]{0,20}(\n[^\n]{0,60})?"
                       r"\s*$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Judgement:
    kind: FeedbackKind
    edit_distance: float | None  # None: there was no reply to compare
    similarity: float | None  # None: the wording alone decided, or no reply


def normalise(text: str) -> str:
    """The part of a reply that carries the answer, compared case- and spacing-blind.

    Agents greet the customer and sign off in their own name around a draft they otherwise
    send unchanged; that is not an edit of the answer.
    """
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").strip()
    text = _GREETING.sub("", text + "\n", count=1).strip()
    text = _SIGN_OFF.sub("", "\n" + text, count=1).strip()
    return _SPACE.sub(" ", text).casefold()


def edit_distance(a: str, b: str) -> float:
    """Levenshtein distance over the longer text's length: 0 identical, 1 nothing shared."""
    return float(Levenshtein.normalized_distance(a, b))


def judge(draft: str, reply: str | None, embed: Embed | None,
          settings: FeedbackSettings) -> Judgement:
    """Classify one (draft, agent reply) pair. ``embed`` is only called when the wording alone
    cannot decide (a ValueError when it is needed and missing)."""
    cfg = settings
    if reply is None or not normalise(reply):
        return Judgement(FeedbackKind.IGNORED, None, None)
    a, b = normalise(draft), normalise(reply)
    distance = round(edit_distance(a, b), 4)
    if distance <= cfg.as_is_distance:
        return Judgement(FeedbackKind.SENT_AS_IS, distance, None)
    if distance <= cfg.edited_distance:
        return Judgement(FeedbackKind.EDITED, distance, None)
    if embed is None:
        raise ValueError("an encoder is needed to tell a rewrite from an ignored draft")
    vectors = embed([a, b])
    similarity = round(float(np.dot(vectors[0], vectors[1])), 4)
    kind = (FeedbackKind.REWRITTEN if similarity >= cfg.rewritten_similarity
            else FeedbackKind.IGNORED)
    return Judgement(kind, distance, similarity)
