"""What the pipeline needs (classifier, policy, models, knowledge base), loaded lazily once.

Workers build one ``Services`` per process; the API never does (it only stores and enqueues).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from connectors.registry import Registry
from router.guard.settings import PIISettings
from router.kb.settings import KBSettings
from router.pricing import PriceSettings
from router.rollout.settings import FeedbackSettings
from router.settings import (
    BudgetSettings,
    DeliverySettings,
    LLMSettings,
    ModelSettings,
    QueueSettings,
    Settings,
    StoreSettings,
)
from router.signals.settings import SignalSettings

if TYPE_CHECKING:
    from policies.model import Policy
    from router.answering.hosted import HostedAnswerer
    from router.answering.local import LocalAnswerer
    from router.backends.base import Backend
    from router.classify.base import Classifier
    from router.kb.retrieve import KnowledgeBase
    from router.signals.base import SignalDetector


class KnowledgeBaseError(RuntimeError):
    """The knowledge base could not be loaded: an error to fix, never silently "no KB"."""


@dataclass
class Services:
    """A process's services, from :meth:`from_settings` at its edge. The field defaults
    read the environment: a convenience for tests and benchmarks, which build ``Services``
    directly; every command, the app and the workers go through ``from_settings``."""

    models: ModelSettings = field(default_factory=ModelSettings)
    llm_settings: LLMSettings = field(default_factory=LLMSettings)
    database_url: str = field(default_factory=lambda: StoreSettings().database_url)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    connectors: Registry = field(default_factory=Registry)  # built once per worker process
    kb_settings: KBSettings = field(default_factory=KBSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    budget: BudgetSettings = field(default_factory=BudgetSettings)
    pii: PIISettings = field(default_factory=PIISettings)
    prices: PriceSettings = field(default_factory=PriceSettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    signals: SignalSettings = field(default_factory=SignalSettings)
    _detectors: dict[str | None, tuple[SignalDetector, ...]] = field(
        default_factory=dict, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, connectors: Registry | None = None) -> Services:
        """The services of a process, from the settings its edge read (``connectors``: a
        registry the caller already built from them, shared so one client per vendor)."""
        return cls(models=settings.models, llm_settings=settings.llm,
                   database_url=settings.store.database_url, delivery=settings.delivery,
                   connectors=connectors or Registry(settings.connectors),
                   kb_settings=settings.kb, queue=settings.queue, budget=settings.budget,
                   pii=settings.pii, prices=settings.prices, feedback=settings.feedback,
                   signals=settings.signals)

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
        """The sentence encoder these settings name (the knowledge base's and the feedback
        judge's; a classifier routes with the encoder it was trained with)."""
        from router.classify.embedder import encoder_spec, get_encoder

        return get_encoder(encoder_spec(self.models))

    def slm(self) -> Backend:
        """The local model behind this process's ``slm`` circuit breaker."""
        from router.backends.slm import get_slm

        return self._guarded(get_slm(self.models, kb=self.kb_settings))

    def llm(self) -> Backend | None:
        """The hosted model behind this process's ``llm`` circuit breaker (None: none set)."""
        from router.backends.llm import get_llm

        llm = get_llm(self.llm_settings, self.prices)
        return None if llm is None else self._guarded(llm)

    def _guarded(self, backend: Backend) -> Backend:
        from router.breakers import GuardedBackend, breaker_for

        return GuardedBackend(backend, breaker_for(
            backend.name, failures=self.budget.breaker_failures,
            cooldown=self.budget.breaker_cooldown_seconds))

    def detectors(self, encoder: str | None) -> tuple[SignalDetector, ...]:
        """The risk-signal detectors of these settings, built once per encoder."""
        from router.signals.base import build_detectors

        built = self._detectors.get(encoder)
        if built is None:
            built = self._detectors[encoder] = build_detectors(self.signals, encoder)
        return built

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
            return KnowledgeBase.load(self.database_url, self.kb_settings, encoder=self.encoder)
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
        return HostedAnswerer(self.kb_settings, self.kb, llm, pii=self.pii)


_DEFAULT: Services | None = None


def default_services() -> Services:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Services.from_settings(Settings.load())  # read here: the CLI's edge
    return _DEFAULT


def reset_default_services(services: Services | None = None) -> None:
    """Tests and the CLI swap settings by replacing the process-wide services."""
    global _DEFAULT
    _DEFAULT = services
