"""Base-encoder vectors of the public data sets, cached on disk for the classifier benchmarks.

Encoding ~20k tickets one at a time (the int8 encoder's rule) takes minutes on 2 cores; every
benchmark run after the first reads the vectors back. The key is the encoder's name (with its
precision) and a hash of the texts, so a changed file or encoder never reuses stale vectors.
Cache folder: ``DESKROUTE_BENCH_CACHE`` or ``~/.cache/deskroute/bench``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from router.classify.embedder import get_encoder


def cache_dir() -> Path:
    folder = Path(os.environ.get("DESKROUTE_BENCH_CACHE", "~/.cache/deskroute/bench")).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cached_vectors(texts: Sequence[str], encoder: str | None = None) -> np.ndarray:
    """Vectors of ``texts`` by ``encoder`` (None: the default), from the cache when present."""
    enc = get_encoder(encoder)
    digest = hashlib.sha256(enc.name.encode())
    for text in texts:
        digest.update(text.encode() + b"\0")
    file = cache_dir() / f"{enc.name.replace('/', '_')}-{digest.hexdigest()[:16]}.npy"
    if file.is_file():
        return np.load(file)
    vectors = enc.encode(list(texts))
    tmp = file.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(file)
    return vectors
