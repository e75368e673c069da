"""The on-disk vector index: a cache of entry embeddings that SQL can always rebuild.

SQL is the source of truth; the ``.npy`` matrix and its ``.json`` manifest (entry ids, content
hashes, encoder name) only save re-encoding on start-up. On load, every entry whose id and
content hash match the manifest reuses its stored row and everything else is re-encoded, so an
index that is missing, stale or built with another encoder repairs itself. numpy brute force
costs well under a millisecond per query at support-KB scale (a few thousand entries); on
PostgreSQL the same rows can move into a pgvector column (see docs/KB.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from router.store.models import KBEntry

Progress = Callable[[int, int], None]
_BATCH = 256


class TextEncoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class IndexedEntry:
    id: int
    question: str
    answer: str
    intent: str | None
    content_hash: str

    @property
    def embed_text(self) -> str:
        """Question and answer together: tickets resemble either one, depending on wording."""
        return f"{self.question}\n{self.answer}".strip()


def load_entries(session: Session, kb: str | None = None) -> list[IndexedEntry]:
    """All live entries of ``kb`` (every KB when None), ordered by id; retired ones never."""
    stmt = select(KBEntry.id, KBEntry.question, KBEntry.answer, KBEntry.intent,
                  KBEntry.content_hash).where(KBEntry.retired_at.is_(None)).order_by(KBEntry.id)
    if kb is not None:
        stmt = stmt.where(KBEntry.kb == kb)
    return [IndexedEntry(*row) for row in session.execute(stmt)]


def fingerprint(session: Session, kb: str | None = None) -> str:
    """Cheap identity of the KB's current content, for staleness checks."""
    stmt = (select(KBEntry.id, KBEntry.content_hash).where(KBEntry.retired_at.is_(None))
            .order_by(KBEntry.id))
    if kb is not None:
        stmt = stmt.where(KBEntry.kb == kb)
    return entries_fingerprint((int(i), str(h)) for i, h in session.execute(stmt))


def entries_fingerprint(pairs: Iterable[tuple[int, str]]) -> str:
    digest = hashlib.sha256()
    for entry_id, content_hash in pairs:
        digest.update(f"{entry_id}:{content_hash};".encode())
    return digest.hexdigest()


def index_paths(kb_dir: Path, kb: str | None, encoder_name: str) -> tuple[Path, Path]:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{kb or 'all'}-{encoder_name}")
    return kb_dir / f"{stem}.npy", kb_dir / f"{stem}.json"


def _read_cache(npy: Path, manifest: Path, encoder_name: str) -> dict[tuple[int, str], np.ndarray]:
    """Stored rows keyed by (id, content hash); empty when absent, unreadable or foreign."""
    try:
        meta = json.loads(manifest.read_text())
        matrix = np.load(npy, allow_pickle=False)
    except (OSError, ValueError):
        return {}
    ids, hashes = meta.get("ids", []), meta.get("hashes", [])
    if meta.get("encoder") != encoder_name or matrix.ndim != 2 or len(ids) != len(matrix):
        return {}
    return {(int(i), str(h)): matrix[n] for n, (i, h) in enumerate(zip(ids, hashes, strict=True))}


def _write_cache(npy: Path, manifest: Path, entries: Sequence[IndexedEntry],
                 matrix: np.ndarray, encoder_name: str) -> None:
    """Write beside the target and rename, so a reader never sees half an index."""
    npy.parent.mkdir(parents=True, exist_ok=True)
    tmp_npy = npy.with_suffix(f".tmp{os.getpid()}.npy")
    np.save(tmp_npy, matrix, allow_pickle=False)
    os.replace(tmp_npy, npy)
    meta = {"encoder": encoder_name, "dim": int(matrix.shape[1]),
            "ids": [e.id for e in entries], "hashes": [e.content_hash for e in entries]}
    tmp_json = manifest.with_suffix(f".tmp{os.getpid()}.json")
    tmp_json.write_text(json.dumps(meta))
    os.replace(tmp_json, manifest)


def build_vectors(entries: Sequence[IndexedEntry], encoder: TextEncoder, kb_dir: Path | None,
                  kb: str | None = None, progress: Progress | None = None) -> np.ndarray:
    """Embedding matrix for ``entries`` (row i = entries[i]), reusing the on-disk cache."""
    if kb_dir is None:
        return _encode_all(entries, encoder, progress)
    npy, manifest = index_paths(kb_dir, kb, encoder.name)
    cached = _read_cache(npy, manifest, encoder.name)
    missing = [e for e in entries if (e.id, e.content_hash) not in cached]
    if not missing and len(cached) == len(entries):
        return _stack([cached[(e.id, e.content_hash)] for e in entries])
    fresh = dict(zip((e.id for e in missing), _encode_all(missing, encoder, progress), strict=True))
    rows = [fresh[e.id] if e.id in fresh else cached[(e.id, e.content_hash)] for e in entries]
    matrix = _stack(rows)
    if len(entries):
        _write_cache(npy, manifest, entries, matrix, encoder.name)
    return matrix


def _encode_all(entries: Sequence[IndexedEntry], encoder: TextEncoder,
                progress: Progress | None = None) -> np.ndarray:
    """Encode in batches so a progress bar can follow a large import."""
    if not entries:
        return np.zeros((0, 0), dtype=np.float32)
    parts = []
    for start in range(0, len(entries), _BATCH):
        batch = entries[start:start + _BATCH]
        parts.append(np.asarray(encoder.encode([e.embed_text for e in batch]), dtype=np.float32))
        if progress is not None:
            progress(start + len(batch), len(entries))
    return np.vstack(parts)


def _stack(rows: Sequence[np.ndarray]) -> np.ndarray:
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack(rows).astype(np.float32, copy=False)
