"""What the pipeline needs (classifier, policy, models, knowledge base), loaded lazily once.

Workers build one ``Services`` per process; the API never does (it only stores and enqueues).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from connectors.registry import Registry
from router.settings import DeliverySettings, LLMSettings, ModelSettings

if TYPE_CHECKING:
    from policies.model import Policy
    from router.backends.base import Backend
    from router.classify.base import Classifier


@dataclass
class Services:
    models: ModelSettings = field(default_factory=ModelSettings)
    llm_settings: LLMSettings = field(default_factory=LLMSettings)
    database_url: str | None = None
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    connectors: Registry = field(default_factory=Registry)  # built once per worker process

    @cached_property
    def classifier(self) -> Classifier:
        from router.classify.trained import load_classifier

        return load_classifier(self.models.classifier)

    @cached_property
    def policy(self) -> Policy:
        from policies.loader import load_policy

        return load_policy(self.models.policy)

    @cached_property
    def encoder(self) -> Any:
        from router.classify.embedder import get_encoder

        return get_encoder(self.models.embedding_model)

    def slm(self) -> Backend:
        from router.backends.slm import get_slm

        return get_slm(self.models)

    def llm(self) -> Backend | None:
        from router.backends.llm import get_llm

        return get_llm(self.llm_settings)

    @property
    def llm_available(self) -> bool:
        return self.llm_settings.configured

    @cached_property
    def kb(self) -> Any:
        """The knowledge base, or None when the store has no approved answers."""
        try:
            from router.kb.retrieve import KnowledgeBase
        except ImportError:
            return None
        return KnowledgeBase.load(url=self.database_url)


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
