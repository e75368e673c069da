"""Sentence encoder shared by the classifier, the signals and the knowledge base.

One encoder per process: loading a transformer costs seconds and ~100 MB, so every caller goes
through :func:`get_encoder`, which caches by name. torch and sentence-transformers are imported
only when the first encoder is built, never at module import (the API must stay light).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from router.settings import bundled_encoder_path, model_settings

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
_LOCK = threading.Lock()


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def quiet_transformers() -> None:
    """No tqdm bars from transformers ("Loading weights", "Writing model shards"): our commands
    draw their own progress, and the API's logs must stay readable."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from a local folder (never from a hub)."""

    def __init__(self, path: Path, name: str, *, threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        quiet_transformers()
        import torch
        from sentence_transformers import SentenceTransformer

        # One intra-op thread: on the 2-core target a single short ticket encodes in ~9 ms
        # with 1 thread and 15-30 ms (p95 > 100 ms) with 2 when other work shares the cores.
        torch.set_num_threads(threads or int(os.environ.get("DESKROUTE_ENCODER_THREADS", "1")))
        self.name = name
        self.path = path
        self.model: Any = SentenceTransformer(str(path), device="cpu")
        self._torch = torch

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Encode and L2-normalise; an empty input gives a (0, dim) array, not an error."""
        if len(texts) == 0:
            dim = int(self.model.get_sentence_embedding_dimension() or 0)
            return np.zeros((0, dim), dtype=np.float32)
        with _LOCK, self._torch.inference_mode():
            vectors = self.model.encode(
                list(texts),
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


def resolve_encoder_path(name_or_path: str | None) -> tuple[Path, str]:
    """Map a name (or None → settings → bundled MiniLM) to a local folder and a stable name."""
    chosen = name_or_path or model_settings().embedding_model
    if not chosen or chosen == DEFAULT_ENCODER:
        return bundled_encoder_path(), DEFAULT_ENCODER
    path = Path(chosen).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"encoder {chosen!r} is not a local folder; this project never downloads weights "
            "(set DESKROUTE_EMBEDDING_MODEL to a sentence-transformers folder)"
        )
    return path, path.resolve().name


@lru_cache(maxsize=4)
def _cached(path: str, name: str) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(Path(path), name)


def get_encoder(name_or_path: str | None = None) -> SentenceTransformerEncoder:
    """The process-wide encoder for ``name_or_path`` (default: the bundled MiniLM)."""
    path, name = resolve_encoder_path(name_or_path)
    return _cached(str(path), name)
