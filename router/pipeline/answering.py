"""Drafting answers for a text on either leg, without touching the store.

Shared by the worker steps and the ``deskroute answer`` command, so operators see exactly
what the pipeline would send.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from router.backends.base import BackendError
from router.backends.prompts import build_messages, canary, system_prompt
from router.domain import Draft, Verdict
from router.guard.normalize import normalize_text
from router.pipeline.services import Services


@dataclass(frozen=True)
class Answer:
    draft: Draft
    verdict: Verdict
    passages: list[str] = field(default_factory=list)
    redactions: dict[str, int] = field(default_factory=dict)


def answer_local(services: Services, text: str, intent: str | None) -> Answer:
    """Grounded local draft (knowledge base + SLM), checked by the verifier."""
    from router.kb.answer import grounded_answer

    text = normalize_text(text)  # stored tickets already are; the CLI hands raw text
    res = grounded_answer(text, intent=intent, kb=services.kb, mode=_kb_mode(),
                          backend=services.slm())
    # which approved answers the reply was built on: the ticket view and the report show it
    used = [p.entry_id for p in (res.passages[:1] if res.mode == "template" else res.passages)]
    draft = replace(res.draft, meta={**res.draft.meta, "kb_entry_ids": used})
    return Answer(draft, res.verdict, [p.answer for p in res.passages])


def answer_hosted(services: Services, text: str, intent: str | None) -> Answer:
    """Hosted draft: PII is redacted before the call and restored in the reply."""
    from router.guard.pii import redact, restore
    from router.guard.verify import verify_draft

    llm = services.llm()
    if llm is None:
        raise BackendError("no hosted LLM configured (DESKROUTE_LLM_MODEL is empty)")
    # Normalised BEFORE redaction: a card written with no-break or zero-width spaces is
    # still found (issue 18). Redaction, the prompt and the verifier all read this text.
    text = normalize_text(text)
    passages: list[str] = []
    entry_ids: list[int] = []
    kb = services.kb
    if kb is not None:
        found = kb.retrieve(text, intent)
        passages, entry_ids = [p.answer for p in found], [p.entry_id for p in found]
    red = redact(text)
    redacted_passages = [redact(p).text for p in passages] if passages else []
    draft = llm.generate(build_messages(red.text, redacted_passages))
    restored = normalize_text(restore(draft.text, red.mapping))  # verify what is sent
    draft = Draft(
        backend=draft.backend, model=draft.model, text=restored,
        prompt_tokens=draft.prompt_tokens, completion_tokens=draft.completion_tokens,
        latency_ms=draft.latency_ms, cost_usd=draft.cost_usd,
        meta={**draft.meta, "redactions": dict(red.counts), "kb_entry_ids": entry_ids},
    )
    # Grounding is not required of the hosted leg (it exists for what the KB does not cover);
    # the safety checks are: no invented entities, promises, leaks or foreign links.
    verdict = verify_draft(
        draft.text, ticket=text, passages=passages, canaries=[canary()],
        system_prompt=system_prompt(), allowed_domains=_allowed_domains(passages),
    )
    return Answer(draft, verdict, passages, dict(red.counts))


def _kb_mode() -> str:
    from router.kb.settings import KBSettings

    return str(KBSettings().mode)


def _allowed_domains(passages: list[str]) -> list[str]:
    """Configured domains plus those linked from the approved answers (they are approved)."""
    from router.guard.render import find_urls, url_host
    from router.kb.settings import KBSettings

    hosts = {url_host(u) for p in passages for u in find_urls(p)} - {""}
    return sorted(set(KBSettings().allowed_domains) | hosts)
