"""The local leg: an approved answer, filled (``template``) or written by the local SLM.

Modes trade fluency for safety. ``template`` (the default) sends the approved answer itself
with the customer's details filled in, and only with ``DESKROUTE_KB_TEMPLATE_REPHRASE`` tries an
SLM rephrasing, kept when the verifier accepts it; ``slm`` lets the local model write from the
best approved answer(s); ``slm-no-kb`` is the ungrounded baseline ``eval-answers`` compares
against (never used by the pipeline). Without an approved answer that covers the ticket the
grounded modes draft nothing and refuse with :data:`NO_COVER_REASON`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from router.answering.checks import DraftChecks
from router.answering.prepare import Grounding, fill, ground
from router.answering.result import NO_COVER_REASON, AnswerResult, Clock
from router.backends.base import Backend, BackendError
from router.backends.prompts import build_messages
from router.domain import Draft, Verdict
from router.kb.retrieve import KnowledgeBase
from router.kb.settings import KBSettings

LOCAL_MODES = ("template", "slm", "slm-no-kb")
BackendSource = Callable[[], Backend]


class LocalAnswerer:
    """Answers on this machine. ``slm`` is called only when a model draft is needed, so the
    default template mode never loads the model."""

    leg = "local"

    def __init__(self, settings: KBSettings, kb: KnowledgeBase | None, *,
                 slm: BackendSource | None = None, mode: str | None = None) -> None:
        self.settings = settings
        self.kb = kb
        self.mode = mode or settings.mode
        if self.mode not in LOCAL_MODES:
            raise ValueError(f"unknown local answer mode {self.mode!r}; expected one of "
                             f"{', '.join(LOCAL_MODES)}")
        self._slm = slm
        self.checks = DraftChecks(settings, kb)

    def answer(self, text: str, intent: str | None = None, *,
               query_vec: np.ndarray | None = None) -> AnswerResult:
        """Draft and verify an answer to ``text``; the verdict says whether it may be sent."""
        clock = Clock()
        k = 0 if self.mode == "slm-no-kb" else 1 if self.mode == "template" else \
            self.settings.top_k
        g = ground(text, intent, self.kb, self.settings, k=k, query_vec=query_vec)
        clock.lap("retrieve_ms")
        if self.mode != "slm-no-kb" and not g.covered:
            return self._not_covered(g, clock)
        approved = fill(g.passages, g.text, self.settings)
        if self.mode == "template":
            draft, verdict, similarity = self._template(g.text, approved, clock)
        else:
            raw = self._backend().generate(build_messages(g.text, approved))
            clock.lap("draft_ms")
            draft, verdict, similarity = self.checks.finish(raw, ticket=g.text,
                                                            approved=approved)
            clock.lap("verify_ms")
        used = g.passages[:1] if draft.backend == "template" else g.passages
        draft = replace(draft, meta={**draft.meta, "kb_entry_ids": [p.entry_id for p in used]})
        return AnswerResult(
            self.leg, self.mode, draft, verdict, passages=tuple(used),
            prompt_passages=tuple(approved), masked=dict(draft.meta.get("masked", {})),
            relevance=g.coverage.score if g.coverage else None, similarity=similarity,
            latency_ms=clock.total(), timings=clock.laps)

    def _backend(self) -> Backend:
        if self._slm is None:
            raise BackendError("no local model configured for this answerer")
        return self._slm()

    def _template(self, ticket: str, approved: list[str], clock: Clock
                  ) -> tuple[Draft, Verdict, float | None]:
        """The filled approved answer, or an SLM rephrasing of it that the verifier accepts."""
        filled = Draft(backend="template", model="kb", text=approved[0])
        # The filled answer is the approved text by construction, hence similarity 1.
        draft, verdict, _ = self.checks.finish(filled, ticket=ticket, approved=approved,
                                               similarity=1.0)
        clock.lap("verify_ms")
        if not self.settings.template_rephrase:
            return draft, verdict, 1.0
        try:
            raw = self._backend().generate(build_messages(ticket, approved))
        except BackendError as exc:
            clock.lap("draft_ms")
            return replace(draft, meta={**draft.meta, "rephrase_error": str(exc)}), verdict, 1.0
        clock.lap("draft_ms")
        rephrased, r_verdict, similarity = self.checks.finish(raw, ticket=ticket,
                                                              approved=approved)
        clock.lap("verify_ms")
        if r_verdict.accepted:
            return rephrased, r_verdict, similarity
        meta = {**draft.meta, "rephrase_rejected": list(r_verdict.reasons),
                "rephrase_tokens": rephrased.completion_tokens,
                "rephrase_latency_ms": rephrased.latency_ms}
        return replace(draft, latency_ms=rephrased.latency_ms, meta=meta), verdict, 1.0

    def _not_covered(self, g: Grounding, clock: Clock) -> AnswerResult:
        """No draft at all: nothing the shop approved answers this question."""
        why = f" ({g.coverage.why})" if g.coverage and g.coverage.why else ""
        backend = "template" if self.mode == "template" else "slm"
        relevance = g.coverage.score if g.coverage else None
        meta: dict[str, Any] = {"kb_entry_ids": [], "relevance": relevance}
        draft = Draft(backend=backend, model="kb" if backend == "template" else "", text="",
                      meta=meta)
        return AnswerResult(self.leg, self.mode, draft,
                            Verdict(score=0.0, reasons=(NO_COVER_REASON + why,)),
                            relevance=relevance, latency_ms=clock.total(), timings=clock.laps)

