"""Sentence encoder shared by the classifier, the signals and the knowledge base.

One encoder per process: loading a transformer costs seconds and ~100 MB, so every caller goes
through :func:`get_encoder`, which caches by name. torch and sentence-transformers are imported
only when the first encoder is built, never at module import (the API must stay light).

An encoder is named by a *spec*, ``NAME_OR_FOLDER[@PRECISION]``: ``int8`` quantises the linear
layers per output channel when the model loads (measured on this 2-core machine: one ticket in
~7 ms instead of ~14 ms, cosine 0.98 to the fp32 vectors, the same BANKING77 routing quality);
``fp32`` keeps the weights as shipped. A spec without a precision is int8. The encoder the
settings name (``DESKROUTE_EMBEDDING_MODEL`` at ``DESKROUTE_ENCODER_PRECISION``) is
:func:`encoder_spec` of the ``ModelSettings`` a process read at its edge: nothing here reads
the environment. Vectors of the two precisions must never be mixed, so every encoder's
``name`` carries its precision and classifiers store the full spec.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from router.settings import ModelSettings, bundled_encoder_path

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
PRECISIONS = ("int8", "fp32")
DEFAULT_PRECISION: str = ModelSettings.model_fields["encoder_precision"].default
_LOCK = threading.Lock()


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"folder@int8"`` → ``("folder", "int8")``; no (known) precision suffix → None."""
    base, sep, suffix = spec.rpartition("@")
    if sep and base and suffix in PRECISIONS:
        return base, suffix
    return spec, None


def join_spec(base: str, precision: str | None) -> str:
    """The inverse of :func:`split_spec`: ``("folder", "int8")`` → ``"folder@int8"``."""
    return f"{base}@{precision}" if precision else base


def spec_of(encoder: SentenceTransformerEncoder, requested: str | None) -> str:
    """The spec that loads ``encoder`` again: the requested name or folder, with its precision."""
    if not requested:
        return encoder.name
    return join_spec(split_spec(requested)[0], encoder.precision)


def encoder_spec(models: ModelSettings) -> str:
    """The spec of the encoder ``models`` name: its ``embedding_model`` (None: the bundled
    MiniLM) at the precision that spec pins, else at its ``encoder_precision``."""
    base, precision = split_spec(models.embedding_model or DEFAULT_ENCODER)
    return join_spec(base, precision or models.encoder_precision)


def same_encoder(a: str | None, b: str | None) -> bool:
    """Whether two specs (None = the default) give the same vectors: same model, same precision."""
    return get_encoder(a).name == get_encoder(b).name


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

    def __init__(
        self, path: Path, name: str, *, precision: str = "fp32", threads: int | None = None
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        quiet_transformers()
        import torch
        from sentence_transformers import SentenceTransformer

        # One intra-op thread: on the 2-core target a single short ticket encodes in ~9 ms
        # with 1 thread and 15-30 ms (p95 > 100 ms) with 2 when other work shares the cores.
        torch.set_num_threads(threads or int(os.environ.get("DESKROUTE_ENCODER_THREADS", "1")))
        if precision not in PRECISIONS:
            raise ValueError(f"encoder precision {precision!r}: use one of {PRECISIONS}")
        self.name = join_spec(name, precision)
        self.path = path
        self.precision = precision
        self.model: Any = SentenceTransformer(str(path), device="cpu")
        if precision == "int8":
            _quantize(self.model)
        self._torch = torch

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Encode and L2-normalise; an empty input gives a (0, dim) array, not an error.

        int8 encodes each text on its own: dynamic quantisation scales the activations of the
        whole batch together, so a text batched with others (and their padding) came out at
        cosine 0.97 to the same text alone. One at a time, a ticket gets the same vector at
        training, in a batch and when routed alone (~8 ms a text on one core).
        """
        if len(texts) == 0:
            dim = int(self.model.get_sentence_embedding_dimension() or 0)
            return np.zeros((0, dim), dtype=np.float32)
        if len(texts) == 1 or self.precision == "int8":
            return np.vstack([self._encode_one(text) for text in texts])
        with _LOCK, self._torch.inference_mode():
            vectors = self.model.encode(
                list(texts),
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def _encode_one(self, text: str) -> np.ndarray:
        """One text straight through the modules: ``encode``'s batching, sorting and format
        conversions cost ~2 ms a call, a sixth of routing a ticket."""
        torch = self._torch
        with _LOCK, torch.inference_mode():
            features = self.model.preprocess([text])
            vector = self.model.forward(features)["sentence_embedding"]
            vector = torch.nn.functional.normalize(vector.float(), p=2, dim=1)
        return vector.numpy().astype(np.float32, copy=False)


def _quantize(model: Any) -> None:
    """Dynamic int8 quantisation of every ``nn.Linear`` in place, one scale per output channel
    (per-tensor scales are faster still but move the vectors twice as far: cosine 0.95)."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch points at torchao; the eager API works in 2.13
        warnings.simplefilter("ignore")
        quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True
        )


def resolve_encoder_path(name_or_path: str | None) -> tuple[Path, str]:
    """Map a name (None: the bundled MiniLM) to a local folder and a stable name."""
    if not name_or_path or name_or_path == DEFAULT_ENCODER:
        return bundled_encoder_path(), DEFAULT_ENCODER
    path = Path(name_or_path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"encoder {name_or_path!r} is not a local folder; this project never downloads weights "
            "(set DESKROUTE_EMBEDDING_MODEL to a sentence-transformers folder)"
        )
    return path, path.resolve().name


@lru_cache(maxsize=4)
def _cached(path: str, name: str, precision: str) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(Path(path), name, precision=precision)


def get_encoder(spec: str | None = None) -> SentenceTransformerEncoder:
    """The process-wide encoder for a spec ``NAME_OR_FOLDER[@PRECISION]`` (None: the bundled
    MiniLM at int8; the one a process's settings name is ``get_encoder(encoder_spec(models))``)."""
    base, precision = split_spec(spec or DEFAULT_ENCODER)
    path, name = resolve_encoder_path(base)
    return _cached(str(path), name, precision or DEFAULT_PRECISION)
