"""What the pipeline needs (classifier, policy, models, knowledge base), loaded lazily once.

Workers build one ``Services`` per process; the API never does (it only stores and enqueues).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from connectors.registry import Registry
from router.kb.settings import KBSettings
from router.settings import (
    BudgetSettings,
    DeliverySettings,
    LLMSettings,
    ModelSettings,
    QueueSettings,
    Settings,
)

if TYPE_CHECKING:
    from policies.model import Policy
    from router.answering.hosted import HostedAnswerer
    from router.answering.local import LocalAnswerer
    from router.backends.base import Backend
    from router.classify.base import Classifier
    from router.kb.retrieve import KnowledgeBase


class KnowledgeBaseError(RuntimeError):
    """The knowledge base could not be loaded: an error to fix, never silently "no KB"."""


@dataclass
class Services:
    models: ModelSettings = field(default_factory=ModelSettings)
    llm_settings: LLMSettings = field(default_factory=LLMSettings)
    database_url: str | None = None
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    connectors: Registry = field(default_factory=Registry)  # built once per worker process
    kb_settings: KBSettings = field(default_factory=KBSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    budget: BudgetSettings = field(default_factory=BudgetSettings)

    @classmethod
    def from_settings(cls, settings: Settings, *, connectors: Registry | None = None) -> Services:
        """The services of a process, from the settings its edge read (``connectors``: a
        registry the caller already built from them, shared so one client per vendor)."""
        return cls(models=settings.models, llm_settings=settings.llm,
                   database_url=settings.store.database_url, delivery=settings.delivery,
                   connectors=connectors or Registry(settings.connectors),
                   kb_settings=settings.kb, queue=settings.queue, budget=settings.budget)

    @cached_property
    def classifier(self) -> Classifier:
        from router.classify.trained import load_classifier

        return load_classifier(self.models.classifier)

    @property
    def policy(self) -> Policy:
        """The policy file as it is now (a promotion applies without restarting workers)."""
        from policies.loader import current_policy

        return current_policy(self.models.policy)

    @cached_property
    def encoder(self) -> Any:
        from router.classify.embedder import get_encoder

        return get_encoder(self.models.embedding_model)

    def slm(self) -> Backend:
        """The local model behind this process's ``slm`` circuit breaker."""
        from router.backends.slm import get_slm

        return self._guarded(get_slm(self.models, kb=self.kb_settings))

    def llm(self) -> Backend | None:
        """The hosted model behind this process's ``llm`` circuit breaker (None: none set)."""
        from router.backends.llm import get_llm

        llm = get_llm(self.llm_settings)
        return None if llm is None else self._guarded(llm)

    def _guarded(self, backend: Backend) -> Backend:
        from router.breakers import GuardedBackend, breaker_for

        return GuardedBackend(backend, breaker_for(
            backend.name, failures=self.budget.breaker_failures,
            cooldown=self.budget.breaker_cooldown_seconds))

    @property
    def llm_available(self) -> bool:
        return self.llm_settings.configured

    @cached_property
    def kb(self) -> KnowledgeBase:
        """The knowledge base (empty when the store has no approved answers).

        A store or index that cannot be read raises :class:`KnowledgeBaseError`: answering
        as if there were no approved answers would hide a broken deployment.
        """
        from router.kb.retrieve import KnowledgeBase

        try:
            return KnowledgeBase.load(url=self.database_url, kb_dir=self.kb_settings.dir)
        except Exception as exc:  # SQL, index files, the encoder: all mean the same here
            raise KnowledgeBaseError(
                f"knowledge base failed to load: {type(exc).__name__}: {exc}") from exc

    def local_answerer(self) -> LocalAnswerer:
        from router.answering.local import LocalAnswerer

        return LocalAnswerer(self.kb_settings, self.kb, slm=self.slm)

    def hosted_answerer(self) -> HostedAnswerer:
        """The hosted leg; raises BackendError when no hosted LLM is configured."""
        from router.answering.hosted import HostedAnswerer
        from router.backends.base import BackendError

        llm = self.llm()
        if llm is None:
            raise BackendError("no hosted LLM configured (DESKROUTE_LLM_MODEL is empty)")
        return HostedAnswerer(self.kb_settings, self.kb, llm)


_DEFAULT: Services | None = None


def default_services() -> Services:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Services()
    return _DEFAULT


def reset_default_services(services: Services | None = None) -> None:
    """Tests and the CLI swap settings by replacing the process-wide services."""
    global _DEFAULT
    _DEFAULT = services
