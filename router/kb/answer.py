"""Grounded local answers: retrieve approved answers, draft from them, verify the draft.

Three modes trade fluency for safety. ``slm`` lets the local model write from the best approved
answer(s); ``template`` sends the approved answer itself with the customer's details filled in
and keeps an SLM rephrasing only when the verifier accepts it; ``slm-no-kb`` is the ungrounded
baseline the benchmark compares against. ``llm`` is ``slm`` on the hosted backend.

Nothing here writes to the database: the pipeline stores the result at its task boundary.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from router.backends.base import Backend, BackendError
from router.domain import Draft, Verdict
from router.guard.normalize import normalize_text
from router.kb.retrieve import KnowledgeBase, Passage
from router.kb.settings import KBSettings
from router.kb.template import fill_template

MODES = ("slm", "template", "slm-no-kb", "llm")
_FENCE_RE = re.compile(r"</?\s*ticket\s*>", re.IGNORECASE)
NO_KB_REASON = "no approved answer in the knowledge base: drafted without grounding"


@dataclass(frozen=True)
class AnswerResult:
    draft: Draft
    verdict: Verdict
    passages: list[Passage]
    mode: str  # the mode that ran (slm/template degrade to slm-no-kb without a KB)
    latency_ms: float = 0.0  # retrieve + draft + verify
    similarity: float | None = None  # grounding similarity the verifier was given
    timings: dict[str, float] = field(default_factory=dict)


def grounded_answer(
    text: str,
    *,
    intent: str | None,
    kb: KnowledgeBase | None,
    mode: str = "slm",
    backend: Backend | None = None,
    settings: KBSettings | None = None,
    query_vec: np.ndarray | None = None,
) -> AnswerResult:
    """Answer ``text`` in ``mode``; the verdict says whether the draft may be sent."""
    if mode not in MODES:
        raise ValueError(f"unknown answer mode {mode!r}; expected one of {', '.join(MODES)}")
    text = normalize_text(text)  # what retrieval, redaction and the verifier all read
    s = settings or KBSettings()
    clock = _Clock()
    passages: list[Passage] = []
    degraded = False
    if mode != "slm-no-kb":
        if kb is not None and len(kb):
            passages = kb.retrieve(text, intent, k=1 if mode == "template" else s.top_k,
                                   query_vec=query_vec)
        degraded = not passages
    clock.lap("retrieve_ms")
    hosted = mode == "llm"
    if degraded and not hosted:
        mode = "slm-no-kb"
    approved = [fill_template(p.answer, text, facts=s.placeholders) for p in passages]
    if mode == "template":
        result = _template(text, approved, kb, backend, s, clock)
    else:
        gen = backend or (_llm() if hosted else _slm())
        draft = _clean(_hosted(gen, text, approved) if hosted
                       else gen.generate(_messages(text, approved)))
        clock.lap("draft_ms")
        verdict, similarity = _verify(draft, text, approved, kb, s)
        clock.lap("verify_ms")
        if degraded:
            verdict = replace(verdict, reasons=(*verdict.reasons, NO_KB_REASON))
        result = (draft, verdict, similarity)
    draft, verdict, similarity = result
    return AnswerResult(draft, verdict, passages, mode, clock.total(), similarity, clock.laps)


def _template(text: str, approved: list[str], kb: KnowledgeBase | None,
              backend: Backend | None, s: KBSettings, clock: _Clock
              ) -> tuple[Draft, Verdict, float | None]:
    """The filled approved answer, or an SLM rephrasing of it that the verifier accepts."""
    filled = Draft(backend="template", model="kb", text=approved[0])
    # The filled answer is the approved text by construction, hence similarity 1.
    base_verdict, _ = _verify(filled, text, approved, None, s, similarity=1.0)
    if not s.template_rephrase:
        clock.lap("verify_ms")
        return filled, base_verdict, 1.0
    try:
        rephrased = _clean((backend or _slm()).generate(_messages(text, approved)))
    except BackendError as exc:
        clock.lap("draft_ms")
        return replace(filled, meta={"rephrase_error": str(exc)}), base_verdict, 1.0
    clock.lap("draft_ms")
    verdict, similarity = _verify(rephrased, text, approved, kb, s)
    clock.lap("verify_ms")
    if verdict.accepted:
        return rephrased, verdict, similarity
    meta = {"rephrase_rejected": list(verdict.reasons), "rephrase_tokens":
            rephrased.completion_tokens, "rephrase_latency_ms": rephrased.latency_ms}
    return replace(filled, latency_ms=rephrased.latency_ms, meta=meta), base_verdict, 1.0


def _hosted(gen: Backend, text: str, approved: Sequence[str]) -> Draft:
    """Hosted calls see the ticket's personal data redacted; the reply gets the real values
    back. Approved answers are the company's own text and are sent as they are."""
    from router.guard.pii import redact, restore

    red = redact(text)
    draft = gen.generate(_messages(red.text, approved))
    return replace(draft, text=restore(draft.text, red.mapping),
                   meta={**draft.meta, "redactions": dict(red.counts)})


def _verify(draft: Draft, ticket: str, approved: Sequence[str], kb: KnowledgeBase | None,
            s: KBSettings, *, similarity: float | None = None) -> tuple[Verdict, float | None]:
    """Run the shared verifier; grounding similarity is computed here (the verifier loads no
    model) as the cosine between the draft and its closest approved answer."""
    from router.backends.prompts import canary, system_prompt
    from router.guard.render import find_urls, url_host
    from router.guard.verify import grounding_similarity, verify_draft

    # Links inside approved answers are approved: their hosts join the allow-list.
    hosts = {url_host(u) for text in approved for u in find_urls(text)} - {""}

    if similarity is None and approved and kb is not None and draft.text.strip():
        vecs = kb.encode([draft.text, *approved])
        similarity = grounding_similarity(vecs[0], vecs[1:])
    verdict = verify_draft(
        draft.text,
        ticket=ticket,
        passages=list(approved),
        similarity=similarity,
        min_similarity=s.min_similarity,
        allowed_domains=[*s.allowed_domains, *sorted(hosts)],
        canaries=[canary()],
        system_prompt=system_prompt(),
        mean_logprob=_mean_logprob(draft.meta),
        min_logprob=s.min_logprob,
    )
    return verdict, similarity


def _clean(draft: Draft) -> Draft:
    """Drop echoed prompt fences (``<ticket>``): small models copy them from the prompt, and
    they are formatting noise, not content the verifier should reject the answer for."""
    text = _FENCE_RE.sub(" ", normalize_text(draft.text))  # the verifier reads what is sent
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return draft if text == draft.text else replace(draft, text=text)


def _mean_logprob(meta: dict[str, Any]) -> float | None:
    value = meta.get("mean_logprob")
    return float(value) if isinstance(value, int | float) else None


def _messages(text: str, approved: Sequence[str]) -> list[dict[str, str]]:
    from router.backends.prompts import build_messages

    return build_messages(text, approved)


def _slm() -> Backend:
    from router.backends.slm import get_slm

    return get_slm()


def _llm() -> Backend:
    from router.backends.llm import get_llm

    llm = get_llm()
    if llm is None:
        raise BackendError("no hosted LLM configured (DESKROUTE_LLM_MODEL is empty)")
    return llm


class _Clock:
    """Wall-clock laps, so the benchmark can split retrieve, draft and verify time."""

    def __init__(self, now: Callable[[], float] = time.perf_counter) -> None:
        self._now = now
        self._start = self._last = now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        t = self._now()
        self.laps[name] = self.laps.get(name, 0.0) + (t - self._last) * 1000
        self._last = t

    def total(self) -> float:
        return (self._now() - self._start) * 1000
