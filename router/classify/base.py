"""The classifier interface the pipeline, the CLI and the benchmarks rely on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from router.domain import Prediction

OOS = "oos"


class Classifier(Protocol):
    """Scores ticket texts: intent, a confidence that means 'safe to answer locally', runner-up."""

    @property
    def version(self) -> str:
        """Stable id of the trained artifact (stored with every decision)."""
        ...

    @property
    def intents(self) -> Sequence[str]:
        """In-scope intents the classifier knows (never ``oos``)."""
        ...

    @property
    def threshold(self) -> float:
        """Calibrated operating point: below it a ticket should not be answered locally."""
        ...

    def intent_threshold(self, intent: str) -> float:
        """Per-intent threshold: the global one unless the intent's own evidence moved it
        (stricter or laxer; see router/classify/operating.py)."""
        ...

    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...
