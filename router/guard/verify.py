"""The verifier every draft passes before it reaches a customer, local or hosted.

It answers one question: may this text be sent as it is? Each failed check adds a reason
string; a draft is accepted only with no reasons, so a rejected SLM draft escalates carrying
exactly why. The caller computes the embedding similarity (no model is loaded here) and the
mean token log-probability from llama.cpp; this module only applies thresholds.

Score (for dashboards and tie-breaking, never for acceptance on its own), the same on every
leg::

    support = share of the draft's content words found in the ticket or the approved answers
    base    = (support + grounding similarity clamped to [0, 1]) / 2, or support alone when
              the caller gave no similarity (a hosted draft without approved answers)
    score   = 0                                       if any safety reason (markup, link, leak,
                                                      promise, full card/IBAN/id) was raised
            = base * 0.5 ** (other reasons)           otherwise

Low grounding is already in ``base``, so it is not penalised twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from router.domain import Verdict
from router.guard.claims import unsupported_claims
from router.guard.commitments import unsupported_commitments
from router.guard.entities import unsupported
from router.guard.masking import mask_sensitive, quoted_values, sensitive_kinds
from router.guard.pii import unresolved_placeholders
from router.guard.render import disallowed_links, safe_to_render
from router.guard.reply import echoes, meta_text, not_a_reply

DEFAULT_MIN_SIMILARITY = 0.55
LEAK_NGRAM = 8
LOGPROB_FLOOR = -100.0

CANARY_REASON = "canary leaked"
SYSTEM_PROMPT_REASON = "system prompt leaked"
EMPTY_REASON = "empty draft"

_WORD_RE = re.compile(r"\w+")
_SPACE_RE = re.compile(r"\s+")
_SAFETY_PREFIXES = (
    "html/script",
    "markdown image",
    "link to non-allow-listed",
    "promise not in passages",
    CANARY_REASON,
    SYSTEM_PROMPT_REASON,
    "sensitive value in draft",
)
#: Words that carry no claim: they neither support nor undermine a draft's score.
_FUNCTION_WORDS = frozenset("""
a an the and or but if then so as of to in on at by for with from into onto about over under
up down out off than that this these those there here it its it's is are was were be been being
am do does did doing have has had having will would shall should can could may might must not
no nor yes you your yours we our ours us they them their i me my he she his her what which who
whom whose when where why how all any both each few more most other some such only own same too
very just also please thank thanks hello hi dear sorry kindly happy glad help assist let know
further questions question contact reach feel free sure certainly understand understanding
appreciate patience regards best team support customer get make see find need want like again
one""".split())


def grounding_similarity(draft_vec: npt.ArrayLike, passage_vecs: npt.ArrayLike) -> float:
    """Cosine similarity between the draft and its closest passage; 0.0 with no passages.

    Best-passage rather than mean, because a good answer rephrases one approved answer and
    should not be diluted by the other retrieved passages.
    """
    draft = np.asarray(draft_vec, dtype=np.float64).reshape(-1)
    passages = np.asarray(passage_vecs, dtype=np.float64)
    if passages.size == 0:
        return 0.0
    passages = passages.reshape(-1, draft.shape[0])
    norms = np.linalg.norm(passages, axis=1) * np.linalg.norm(draft)
    with np.errstate(divide="ignore", invalid="ignore"):
        cosines = np.where(norms > 0, passages @ draft / np.where(norms > 0, norms, 1.0), 0.0)
    return float(np.clip(cosines.max(), -1.0, 1.0))


def mean_token_logprob(token_logprobs: Sequence[float | None]) -> float | None:
    """Mean of llama.cpp's per-token log-probabilities (``logprobs.token_logprobs``).

    The first token's entry is None in llama.cpp's OpenAI-style output and is skipped, as is
    NaN; ``-inf`` counts as :data:`LOGPROB_FLOOR` so one impossible token drags the mean down
    without making it infinite. None when there is nothing to average, so
    :func:`verify_draft` skips the confidence check.
    """
    values = [max(float(v), LOGPROB_FLOOR) for v in token_logprobs if v is not None and v == v]
    return float(np.mean(values)) if values else None


def _squash(text: str) -> str:
    return _SPACE_RE.sub("", text).lower()


def canary_leaked(draft: str, canaries: Sequence[str]) -> bool:
    """Canaries compared case-insensitively and with whitespace removed (spaced-out leaks)."""
    squashed = _squash(draft)
    return any(c.strip() and _squash(c) in squashed for c in canaries)


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORD_RE.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def system_prompt_leaked(
    draft: str, system_prompt: str, allowed: Sequence[str] = (), n: int = LEAK_NGRAM
) -> bool:
    """True when the draft repeats n consecutive words of the system prompt.

    Runs the ticket and passages also contain are not leaks (the prompt may quote them).
    """
    secret = _ngrams(system_prompt, n)
    for text in allowed:
        secret -= _ngrams(text, n)
    return bool(secret & _ngrams(draft, n))


def support(draft: str, sources: Sequence[str]) -> float:
    """Share of the draft's content words (not function words) that a source contains."""
    words = [w for w in _WORD_RE.findall(draft.lower()) if w not in _FUNCTION_WORDS]
    if not words:
        return 1.0
    known = {w for text in sources for w in _WORD_RE.findall(text.lower())}
    stems = {w.rstrip("s") for w in known}
    return sum(w in known or w.rstrip("s") in stems for w in words) / len(words)


def _score(similarity: float | None, backed: float, reasons: Sequence[str],
           low_grounding: bool) -> float:
    if any(r.startswith(_SAFETY_PREFIXES) for r in reasons):
        return 0.0
    base = backed if similarity is None else (backed + min(max(similarity, 0.0), 1.0)) / 2
    penalties = len(reasons) - (1 if low_grounding else 0)
    return round(base * 0.5**penalties, 4)


def verify_draft(
    draft: str,
    *,
    ticket: str,
    passages: Sequence[str],
    similarity: float | None = None,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
    allowed_domains: Sequence[str] = (),
    canaries: Sequence[str] = (),
    system_prompt: str | None = None,
    mean_logprob: float | None = None,
    min_logprob: float | None = None,
) -> Verdict:
    """Judge one draft against the ticket and the passages it was grounded in.

    Verify the draft as it will be sent (for the hosted leg: after :func:`restore`) against the
    original ticket, so restored customer values count as supported.
    """
    if not draft.strip():
        return Verdict(score=0.0, reasons=(EMPTY_REASON,))
    # Masked values ("•••• 1111") the reply may carry are backed by the masked ticket.
    ticket_views = [ticket, mask_sensitive(ticket)[0]]
    reasons: list[str] = []
    reasons += safe_to_render(draft)
    reasons += disallowed_links(draft, allowed_domains)
    if canaries and canary_leaked(draft, canaries):
        reasons.append(CANARY_REASON)
    if system_prompt and system_prompt_leaked(draft, system_prompt, [ticket, *passages]):
        reasons.append(SYSTEM_PROMPT_REASON)
    reasons += [f"sensitive value in draft: {kind}"
                for kind in sensitive_kinds(draft, allow=quoted_values(passages))]
    reasons += unsupported_commitments(draft, passages)
    reasons += unsupported(draft, [*ticket_views, *passages])
    reasons += unsupported_claims(draft, ticket=ticket, passages=passages)
    reasons += meta_text(draft, passages)
    reasons += echoes(draft, ticket, passages)
    reasons += not_a_reply(draft)
    sources = " ".join([ticket, *passages])
    reasons += [
        f"unresolved placeholder {p}" for p in unresolved_placeholders(draft) if p not in sources
    ]
    low_grounding = False
    if similarity is not None and similarity < min_similarity:
        low_grounding = True
        reasons.append(f"low grounding: {similarity:.2f} < {min_similarity:.2f}")
    if mean_logprob is not None and min_logprob is not None and mean_logprob < min_logprob:
        reasons.append(f"low model confidence: mean logprob {mean_logprob:.2f} < {min_logprob:.2f}")
    backed = support(draft, [*ticket_views, *passages])
    return Verdict(
        score=_score(similarity, backed, reasons, low_grounding),
        reasons=tuple(reasons),
    )
