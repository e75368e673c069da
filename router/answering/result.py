"""The one result every answering leg returns."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from router.domain import Draft, Verdict
from router.kb.retrieve import Passage

#: The reason a local answer is refused when no approved answer addresses the question.
NO_COVER_REASON = "no approved answer covers this"


@dataclass(frozen=True)
class AnswerResult:
    """A draft, the verifier's verdict on it, and what it was built from.

    ``passages`` are the approved answers the draft was built on (the ticket view shows them);
    ``prompt_passages`` are those passages exactly as the model saw them (filled, and for the
    hosted leg redacted), which is what a privacy check compares.
    """

    leg: str  # local | hosted | human
    mode: str  # template | slm | slm-no-kb | llm | human
    draft: Draft
    verdict: Verdict
    passages: tuple[Passage, ...] = ()
    prompt_passages: tuple[str, ...] = ()
    redactions: dict[str, int] = field(default_factory=dict)
    masked: dict[str, int] = field(default_factory=dict)
    relevance: float | None = None  # how well the best approved answer matches the ticket
    similarity: float | None = None  # draft vs its closest approved answer
    latency_ms: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def entry_ids(self) -> list[int]:
        return [p.entry_id for p in self.passages]

    @property
    def source_intent(self) -> str | None:
        """The intent of the approved answer the reply was built on (None without one)."""
        return self.passages[0].intent if self.passages else None


class Clock:
    """Wall-clock laps, so the benchmark can split retrieve, draft and verify time."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        t = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + (t - self._last) * 1000
        self._last = t

    def total(self) -> float:
        return (time.perf_counter() - self._start) * 1000
