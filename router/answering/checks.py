"""Finish a draft the same way on every leg: clean, mask, measure, verify.

The verifier must read exactly what would be sent, so the order is fixed here once: drop
echoed prompt fences, mask card numbers / IBANs / national ids / passports to their last four,
compute the grounding similarity, then :func:`router.guard.verify.verify_draft`. The link allow-list
(configured domains plus the hosts approved answers link to) also lives only here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from router.backends.prompts import canary, system_prompt
from router.domain import Draft, Verdict
from router.guard.masking import mask_sensitive, quoted_values
from router.guard.normalize import normalize_text
from router.guard.render import find_urls, url_host
from router.guard.verify import grounding_similarity, verify_draft
from router.kb.retrieve import KnowledgeBase
from router.kb.settings import KBSettings

_FENCE_RE = re.compile(r"</?\s*ticket\s*>", re.IGNORECASE)


def allowed_domains(settings: KBSettings, approved: Sequence[str]) -> list[str]:
    """Configured domains plus those linked from the approved answers (they are approved)."""
    hosts = {url_host(u) for text in approved for u in find_urls(text)} - {""}
    return sorted(set(settings.allowed_domains) | hosts)


def clean(text: str) -> str:
    """Drop echoed prompt fences (``<ticket>``): small models copy them from the prompt, and
    they are formatting noise, not content the verifier should reject the answer for."""
    text = _FENCE_RE.sub(" ", normalize_text(text))
    return re.sub(r"[ \t]{2,}", " ", text).strip()


class DraftChecks:
    """The verifier with this deployment's settings, and the knowledge base's encoder."""

    def __init__(self, settings: KBSettings, kb: KnowledgeBase | None) -> None:
        self.settings = settings
        self.kb = kb

    def similarity(self, text: str, approved: Sequence[str]) -> float | None:
        """Cosine between the draft and its closest approved answer (None without either)."""
        if not approved or self.kb is None or not text.strip():
            return None
        vecs = self.kb.encode([text, *approved])
        return grounding_similarity(vecs[0], vecs[1:])

    def finish(self, draft: Draft, *, ticket: str, approved: Sequence[str],
               similarity: float | None = None) -> tuple[Draft, Verdict, float | None]:
        """The draft as it will be sent, its verdict and its grounding similarity."""
        text, masked = mask_sensitive(clean(draft.text), allow=quoted_values(approved))
        meta = {**draft.meta, **({"masked": masked} if masked else {})}
        if text != draft.text or masked:
            draft = replace(draft, text=text, meta=meta)
        if similarity is None:
            similarity = self.similarity(text, approved)
        verdict = verify_draft(
            text,
            ticket=ticket,
            passages=list(approved),
            similarity=similarity,
            min_similarity=self.settings.min_similarity,
            allowed_domains=allowed_domains(self.settings, approved),
            canaries=[canary()],
            system_prompt=system_prompt(),
            mean_logprob=_mean_logprob(draft.meta),
            min_logprob=self.settings.min_logprob,
        )
        return draft, verdict, similarity


def _mean_logprob(meta: dict[str, Any]) -> float | None:
    value = meta.get("mean_logprob")
    return float(value) if isinstance(value, int | float) else None
