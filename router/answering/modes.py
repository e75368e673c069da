"""Answer modes by name, for the commands that choose one (``eval-answers --mode``)."""

from __future__ import annotations

from collections.abc import Callable

from router.answering.hosted import HostedAnswerer
from router.answering.local import LOCAL_MODES, LocalAnswerer
from router.backends.base import Backend, BackendError
from router.guard.settings import PIISettings
from router.kb.retrieve import KnowledgeBase
from router.kb.settings import KBSettings

MODES: tuple[str, ...] = (*LOCAL_MODES, "llm")
Answerer = LocalAnswerer | HostedAnswerer


def answerer_for(mode: str, settings: KBSettings, kb: KnowledgeBase | None, *,
                 pii: PIISettings, slm: Callable[[], Backend] | None = None,
                 llm: Callable[[], Backend | None] | None = None) -> Answerer:
    """The leg object the pipeline uses for ``mode`` (``llm``: the hosted leg, redacting
    what ``pii`` says)."""
    if mode not in MODES:
        raise ValueError(f"unknown answer mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode == "llm":
        backend = llm() if llm is not None else None
        if backend is None:
            raise BackendError("no hosted LLM configured (DESKROUTE_LLM_MODEL is empty)")
        return HostedAnswerer(settings, kb, backend, pii=pii)
    return LocalAnswerer(settings, kb, slm=slm, mode=mode)
