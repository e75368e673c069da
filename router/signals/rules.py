"""Shared machinery of the keyword detectors: a regex first layer, an exemplar second layer.

Regexes catch the explicit phrasings at a few microseconds per ticket; the exemplar layer
catches paraphrases by comparing the ticket's embedding (computed once by the classifier and
shared) with a handful of exemplar phrases per signal. Exemplar embeddings are computed lazily,
once per process, so importing a detector never loads a model.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import numpy as np

from router.domain import Signal

Encode = Callable[[list[str]], np.ndarray]


class Searcher(Protocol):
    """What the regex layer needs from a pattern (``re.Pattern`` or a gated one)."""

    def search(self, string: str) -> re.Match[str] | None: ...


REASON_CLIP = 60
HEAD_CHARS = 4000
TAIL_CHARS = 1000  # 5000 chars > 1200 tokens x 4 bytes: windowed tickets are too_long


def _default_encode(texts: list[str]) -> np.ndarray:
    """The shared process-wide encoder, imported here so that torch loads only when needed."""
    return encode_with(None, texts)


def encode_with(encoder: str | None, texts: list[str]) -> np.ndarray:
    """Encode with ``encoder`` (a name or folder; None = the shared default encoder)."""
    from router.classify.embedder import get_encoder

    return np.asarray(get_encoder(encoder).encode(texts), dtype=np.float32)


def any_of(*alternatives: str, shared_boundary: bool = False) -> re.Pattern[str]:
    """One compiled alternation: a single ``search`` per ticket beats one per phrase.

    Patterns are written in lower case and matched against :func:`scan_text`, which is
    lower-cased once per ticket: case-sensitive matching is several times faster in ``re``
    than ``re.IGNORECASE``. ``^`` matches at every line start (fake "SYSTEM:" lines).
    ``shared_boundary`` tests a leading ``\\b`` once for all alternatives that start with one;
    measured per pattern, it halves the cost of some alternations and slows others.
    """
    if not shared_boundary:
        return re.compile("|".join(f"(?:{alt})" for alt in alternatives), re.MULTILINE)
    bounded = [alt[2:] for alt in alternatives if alt.startswith(r"\b")]
    others = [alt for alt in alternatives if not alt.startswith(r"\b")]
    parts = [r"\b(?:" + "|".join(f"(?:{alt})" for alt in bounded) + ")"] if bounded else []
    parts += [f"(?:{alt})" for alt in others]
    return re.compile("|".join(parts), re.MULTILINE)


def scan_window(text: str) -> str:
    """The part of a ticket the detectors read: all of it, or its head and tail if huge.

    Regex cost grows with length (about 0.5 us per character for all detectors). Past
    ``HEAD_CHARS + TAIL_CHARS`` a ticket already raises ``too_long`` at the default budget and
    goes to a human anyway, and threats and asks mostly sit at the start or the end.
    """
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return f"{text[:HEAD_CHARS]}\n{text[-TAIL_CHARS:]}"


@lru_cache(maxsize=16)
def scan_text(text: str) -> str:
    """Lower-cased scan window, computed once per ticket for all detectors."""
    return scan_window(text).lower()


@dataclass(frozen=True)
class GatedPattern:
    """A costly pattern run only when a cheap ``gate`` says it could match."""

    gate: Callable[[str], bool]
    pattern: re.Pattern[str]

    def search(self, string: str) -> re.Match[str] | None:
        return self.pattern.search(string) if self.gate(string) else None


def clip(fragment: str, limit: int = REASON_CLIP) -> str:
    """Matched text goes into stored reasons; keep it short and on one line."""
    flat = " ".join(fragment.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class ExemplarBank:
    """Exemplar phrases of one signal and the cosine similarity at which a ticket matches them.

    Thresholds are set conservatively on the test sets (see docs/SIGNALS.md): the layer is
    meant to add recall on paraphrases, never to fire on routine tickets.
    """

    phrases: tuple[str, ...]
    threshold: float
    encode: Encode = _default_encode
    _matrix: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def matrix(self) -> np.ndarray:
        """Normalised exemplar rows, encoded on first use (thread-safe, once per bank)."""
        if self._matrix is None:
            with self._lock:
                if self._matrix is None:
                    rows = np.asarray(self.encode(list(self.phrases)), dtype=np.float32)
                    norms = np.linalg.norm(rows, axis=1, keepdims=True)
                    self._matrix = rows / np.maximum(norms, 1e-12)
        return self._matrix

    def best(self, embedding: np.ndarray) -> tuple[float, str]:
        """Highest cosine similarity to any exemplar, and that exemplar."""
        matrix = self.matrix()
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if vector.shape[0] != matrix.shape[1]:
            raise ValueError(
                f"ticket embedding has {vector.shape[0]} dimensions, exemplars "
                f"{matrix.shape[1]}: signals must get vectors from the shared encoder"
            )
        sims = matrix @ vector
        index = int(np.argmax(sims))
        return float(sims[index]), self.phrases[index]


@dataclass(frozen=True)
class RuleDetector:
    """A signal raised by any of its patterns or, given an embedding, by its exemplars.

    ``patterns`` are lower-case and see the lower-cased text; ``cased`` see the original.
    ``views`` (optional) gives extra readings of the text for ``patterns`` to search too, such
    as look-alike letters and leetspeak folded back to plain Latin
    (:func:`router.guard.normalize.matching_views`); its first view must be the text itself.
    """

    name: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    exemplars: ExemplarBank | None = None
    cased: tuple[Searcher, ...] = ()
    views: Callable[[str], tuple[str, ...]] | None = None

    def detect(self, text: str, embedding: np.ndarray | None = None) -> Signal | None:
        found = self.find(text)
        if found is not None:
            fragment, obfuscated = found
            label = f"{self.label} (obfuscated)" if obfuscated else self.label
            return Signal(self.name, 1.0, f"{label}: '{clip(fragment)}'")
        if embedding is None or self.exemplars is None:
            return None
        score, phrase = self.exemplars.best(embedding)
        if score < self.exemplars.threshold:
            return None
        return Signal(
            self.name,
            round(score, 3),
            f"{self.label}: close to '{clip(phrase)}' (cosine {score:.2f})",
        )

    def match(self, text: str) -> str | None:
        """The matched fragment of the regex layer, or None."""
        found = self.find(text)
        return None if found is None else found[0]

    def find(self, text: str) -> tuple[str, bool] | None:
        """The matched fragment and whether only a de-obfuscated view matched, or None."""
        views = self.views(text) if self.views is not None else (text,)
        for index, view in enumerate(views):
            lowered = scan_text(view)
            for pattern in self.patterns:
                found = pattern.search(lowered)
                if found:
                    return found.group(0), index > 0
        window = scan_window(text) if self.cased else text
        for searcher in self.cased:
            hit = searcher.search(window)
            if hit:
                return hit.group(0), False
        return None


def phrases(lines: str) -> tuple[str, ...]:
    """Exemplar phrases written one per line in the detector modules."""
    return tuple(line.strip() for line in lines.strip().splitlines() if line.strip())
