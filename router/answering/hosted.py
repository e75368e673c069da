"""The hosted leg: a hosted LLM drafts from the approved answers, nothing personal leaves.

One :class:`~router.guard.pii.Redactor` numbers placeholders across the ticket and the
approved passages, so a value keeps one placeholder everywhere. Passages are filled from the
*redacted* ticket (a ``{{Customer Email}}`` becomes ``[EMAIL_1]``, never the address) and then
redacted again with the same numbering, so whatever a passage or a placeholder filler picks up
is caught too. The reply gets the values back (:func:`~router.guard.pii.restore`), is masked
(cards, IBANs, national ids to their last four) and verified with the same checks as a local
draft, against the original ticket and the passages filled from it.

The hosted leg answers questions the knowledge base does not cover too: without a covering
approved answer it gets none, and the verifier then only lets through a reply that makes no
claim beyond the ticket.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from router.answering.checks import DraftChecks
from router.answering.prepare import fill, ground
from router.answering.result import AnswerResult, Clock
from router.backends.base import Backend
from router.backends.prompts import build_messages
from router.guard.pii import Redactor, requester_names, restore
from router.guard.settings import PIISettings
from router.kb.retrieve import KnowledgeBase
from router.kb.settings import KBSettings


class HostedAnswerer:
    leg = "hosted"
    mode = "llm"

    def __init__(self, settings: KBSettings, kb: KnowledgeBase | None, backend: Backend, *,
                 pii: PIISettings) -> None:
        """``pii``: which optional kinds of personal data are redacted (the deployment's)."""
        self.settings = settings
        self.pii = pii
        self.kb = kb
        self.backend = backend
        self.checks = DraftChecks(settings, kb)

    def answer(self, text: str, intent: str | None = None, *,
               query_vec: np.ndarray | None = None,
               requester: str | None = None) -> AnswerResult:
        """``requester``: the ticket's requester field; their name is redacted too."""
        clock = Clock()
        g = ground(text, intent, self.kb, self.settings, k=self.settings.llm_top_k,
                   query_vec=query_vec)
        clock.lap("retrieve_ms")
        redactor = Redactor(names=requester_names(requester), settings=self.pii)
        red_ticket = redactor.redact(g.text)
        sent = [redactor.redact(p) for p in fill(g.passages, red_ticket, self.settings)]
        raw = self.backend.generate(build_messages(red_ticket, sent))
        clock.lap("draft_ms")
        restored = replace(raw, text=restore(raw.text, redactor.mapping), meta={
            **raw.meta, "redactions": redactor.counts,
            "kb_entry_ids": [p.entry_id for p in g.passages]})
        approved = fill(g.passages, g.text, self.settings)
        draft, verdict, similarity = self.checks.finish(restored, ticket=g.text,
                                                        approved=approved)
        clock.lap("verify_ms")
        return AnswerResult(
            self.leg, self.mode, draft, verdict, passages=g.passages,
            prompt_passages=tuple(sent), redactions=redactor.counts,
            masked=dict(draft.meta.get("masked", {})),
            relevance=g.coverage.score if g.coverage else None, similarity=similarity,
            latency_ms=clock.total(), timings=clock.laps)
