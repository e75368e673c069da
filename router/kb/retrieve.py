"""Retrieval of approved answers: the predicted intent first, global similarity as fallback.

The classifier has already decided the ticket is a routine ``intent`` when the SLM route runs,
so answers written for that intent are the right pool; cosine similarity only orders them. When
the KB has no (or too few) answers for the intent, the best answers overall fill the list, so a
KB that is organised by topic rather than intent still works.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from router.kb.index import (
    IndexedEntry,
    Progress,
    TextEncoder,
    build_vectors,
    fingerprint,
    load_entries,
)
from router.kb.settings import KBSettings


@dataclass(frozen=True)
class Passage:
    entry_id: int
    question: str
    answer: str
    intent: str | None
    score: float


class _State:
    """Entries, their vectors and intents, swapped as one object on refresh."""

    def __init__(self, entries: list[IndexedEntry], vectors: np.ndarray) -> None:
        self.entries = entries
        self.vectors = vectors
        # An entry without an intent is its own topic (Markdown articles).
        self.intents = np.array([e.intent or f"#{e.id}" for e in entries], dtype=object)
        self.wrong_scores: np.ndarray | None = None  # see KnowledgeBase.wrong_topic_scores


def _passage(entry: IndexedEntry, score: float) -> Passage:
    return Passage(entry.id, entry.question, entry.answer, entry.intent, score)


def _default_encoder() -> TextEncoder:
    from router.classify.embedder import get_encoder  # heavy: torch on first use

    return get_encoder()


class KnowledgeBase:
    """Entries and their vectors in memory; reads SQL only to (re)load."""

    def __init__(self, entries: Sequence[IndexedEntry], vectors: np.ndarray,
                 encoder: TextEncoder, *, url: str | None = None, kb: str | None = None,
                 kb_dir: Path | None = None, version: str = "",
                 refresh_seconds: float = 0.0) -> None:
        self._state = _State(list(entries), vectors)
        self.encoder = encoder
        self.url, self.kb, self.kb_dir = url, kb, kb_dir
        self.version = version
        self._refresh_seconds = refresh_seconds
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_session(cls, session: Session, *, kb: str | None = None,
                     kb_dir: Path | None = None, encoder: TextEncoder | None = None,
                     url: str | None = None, refresh_seconds: float = 0.0,
                     progress: Progress | None = None) -> KnowledgeBase:
        """Read entries through an open session and embed them (reusing ``kb_dir``'s cache)."""
        entries = load_entries(session, kb)
        encoder = encoder or _default_encoder()
        vectors = build_vectors(entries, encoder, kb_dir, kb, progress)
        version = fingerprint(session, kb)
        return cls(entries, vectors, encoder, url=url, kb=kb, kb_dir=kb_dir, version=version,
                   refresh_seconds=refresh_seconds)

    @classmethod
    def load(cls, url: str, settings: KBSettings, *, kb: str | None = None,
             encoder: TextEncoder | None = None) -> KnowledgeBase:
        """The process-wide KB for (url, ``settings.dir``, kb, encoder; None = the default);
        loaded once, then refreshed when SQL changes, checked every ``settings.refresh_seconds``."""
        kb_dir = Path(settings.dir)
        encoder = encoder or _default_encoder()
        key = (url, str(kb_dir.resolve()), kb, encoder.name)
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
            if cached is None:
                cached = cls._read(url, kb_dir, kb, encoder, settings.refresh_seconds)
                _CACHE[key] = cached
        return cached

    @classmethod
    def _read(cls, url: str, kb_dir: Path, kb: str | None, encoder: TextEncoder | None,
              refresh_seconds: float) -> KnowledgeBase:
        from router.store.db import session_factory

        with session_factory(url)() as session:
            return cls.from_session(session, kb=kb, kb_dir=kb_dir, encoder=encoder, url=url,
                                    refresh_seconds=refresh_seconds)

    # --- queries -----------------------------------------------------------------------------
    @property
    def entries(self) -> list[IndexedEntry]:
        return self._state.entries

    @property
    def vectors(self) -> np.ndarray:
        return self._state.vectors

    def __len__(self) -> int:
        return len(self._state.entries)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.encoder.encode(list(texts)), dtype=np.float32)

    def retrieve(self, text: str, intent: str | None = None, k: int = 2, *,
                 query_vec: np.ndarray | None = None) -> list[Passage]:
        """Top ``k`` answers: entries of ``intent`` by similarity, then the best of the rest.

        ``query_vec`` lets a caller that already encoded the ticket (the classifier) skip the
        second encoder pass.
        """
        self._maybe_refresh()
        state = self._state  # one consistent snapshot even if a refresh swaps it meanwhile
        if not state.entries or k <= 0:
            return []
        query = self.encode([text])[0] if query_vec is None else np.asarray(query_vec).ravel()
        scores = state.vectors @ query.astype(np.float32)
        order = np.argsort(-scores, kind="stable")
        chosen: list[int] = []
        if intent:
            chosen = [int(i) for i in order if state.intents[i] == intent][:k]
        if len(chosen) < k:
            taken = set(chosen)
            chosen += [int(i) for i in order if int(i) not in taken][: k - len(chosen)]
        return [_passage(state.entries[i], float(scores[i])) for i in chosen]

    def intent_margin(self, passage: Passage, query_vec: np.ndarray) -> float:
        """How much better ``passage`` matches than the best entry of another intent (or, for
        entries without one, any other entry): negative when another topic matches better."""
        state = self._state
        scores = state.vectors @ np.asarray(query_vec, dtype=np.float32).ravel()
        own = passage.intent or f"#{passage.entry_id}"
        other = scores[state.intents != own]
        return float(passage.score - other.max()) if other.size else 1.0

    def wrong_topic_scores(self) -> np.ndarray:
        """Self-calibration data: for each entry's question, the best score of an entry of
        another intent (leave-one-out), sorted. A ticket matching its best approved answer no
        better than most of these looks like a question of a topic the KB lacks.

        Encodes every question once per KB version (cached with the vectors).
        """
        state = self._state
        if state.wrong_scores is None:
            questions = [e.question or e.answer[:200] for e in state.entries]
            qv = self.encode(questions) if questions else np.zeros((0, 1), np.float32)
            scores = qv @ state.vectors.T if len(questions) else np.zeros((0, 0))
            same = state.intents[:, None] == state.intents[None, :]
            wrong = np.where(same, -np.inf, scores).max(axis=1) if len(questions) else scores
            state.wrong_scores = np.sort(wrong[np.isfinite(wrong)]).astype(np.float32)
        return state.wrong_scores

    def _maybe_refresh(self) -> None:
        """Reload when SQL changed since the last check (at most every refresh_seconds)."""
        if not self.url or self._refresh_seconds <= 0:
            return
        if time.monotonic() - self._checked_at < self._refresh_seconds:
            return
        with self._lock:
            self._checked_at = time.monotonic()
            from router.store.db import session_factory

            with session_factory(self.url)() as session:
                if fingerprint(session, self.kb) == self.version:
                    return
                fresh = KnowledgeBase.from_session(session, kb=self.kb, kb_dir=self.kb_dir,
                                                   encoder=self.encoder, url=self.url)
            self._state, self.version = fresh._state, fresh.version


_CACHE: dict[tuple[str, str, str | None, str], KnowledgeBase] = {}
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget loaded KBs (tests, or after an import in the same process)."""
    with _CACHE_LOCK:
        _CACHE.clear()
