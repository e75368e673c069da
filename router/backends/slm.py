"""The local leg: a GGUF model in llama.cpp, loaded once per worker process."""

from __future__ import annotations

import math
import os
import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from router.backends.base import BackendError, Message
from router.backends.llama_cpu import ExtraBuffers, LoadPlan, current_plan, model_params
from router.domain import Draft
from router.settings import ModelSettings, bundled_slm_path

if TYPE_CHECKING:
    from router.backends.slm_server import SLMServerBackend
    from router.kb.settings import KBSettings

#: how the local model samples, in this process or on a shared llama.cpp server
SAMPLING: dict[str, Any] = {"temperature": 0.2, "top_p": 0.9, "repeat_penalty": 1.15, "seed": 7}


class SLMBackend:
    name = "slm"

    def __init__(self, model_path: str, *, n_ctx: int = 2048, max_tokens: int = 160,
                 threads: int = 1, logprobs: bool = True,
                 extra_buffers: ExtraBuffers = "auto", gpu_layers: int = 0) -> None:
        from llama_cpp import Llama  # heavy import, once per process

        if not os.path.isfile(model_path):
            raise BackendError(f"SLM model file not found: {model_path}")
        self._path = model_path
        self._max_tokens = max_tokens
        self._logprobs = logprobs  # costs a full logits pass over the prompt; worth the signal
        self._lock = threading.Lock()  # a Llama context is not thread-safe
        self.load_plan: LoadPlan = current_plan(extra_buffers)
        try:
            with model_params(self.load_plan):
                self._llm = Llama(
                    model_path=model_path,
                    n_ctx=n_ctx,
                    n_threads=threads,
                    n_gpu_layers=gpu_layers,  # 0 = CPU only; -1 = all (a CUDA build)
                    logits_all=logprobs,
                    verbose=False,
                )
        except ValueError as exc:  # llama.cpp: "Failed to load model from file"
            raise BackendError(f"cannot load the SLM model {model_path}: {exc}") from exc

    @property
    def uses_extra_buffers(self) -> bool:
        """What llama.cpp was really given (the AMX test checks this, not the plan)."""
        return bool(self._llm.model_params.use_extra_bufts)

    @property
    def model(self) -> str:
        return os.path.basename(self._path)

    def generate(self, messages: list[Message]) -> Draft:
        start = time.perf_counter()
        try:
            with self._lock:
                out: Any = self._llm.create_chat_completion(
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=self._max_tokens,
                    logprobs=self._logprobs,
                    top_logprobs=1 if self._logprobs else None,
                    **SAMPLING,
                )
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError on bad context
            raise BackendError(f"local model failed: {exc}") from exc
        latency = (time.perf_counter() - start) * 1000
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Draft(
            backend=self.name,
            model=self.model,
            text=(choice["message"].get("content") or "").strip(),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            latency_ms=latency,
            cost_usd=0.0,
            meta={"mean_logprob": _mean_logprob(choice.get("logprobs"))},
        )


def _mean_logprob(logprobs: Any) -> float | None:
    """Average token log-probability of the answer: a cheap confidence signal."""
    if not logprobs:
        return None
    finite = []
    for token in logprobs.get("content") or []:
        try:
            value = float(token.get("logprob"))  # llama.cpp hands back numpy floats
        except (TypeError, ValueError):
            continue
        if math.isfinite(value):
            finite.append(value)
    return sum(finite) / len(finite) if finite else None


@lru_cache(maxsize=2)
def _cached(path: str, n_ctx: int, max_tokens: int, threads: int,
            extra_buffers: ExtraBuffers, gpu_layers: int, logprobs: bool) -> SLMBackend:
    return SLMBackend(path, n_ctx=n_ctx, max_tokens=max_tokens, threads=threads,
                      logprobs=logprobs, extra_buffers=extra_buffers, gpu_layers=gpu_layers)


def get_slm(settings: ModelSettings, *, kb: KBSettings) -> SLMBackend | SLMServerBackend:
    """This process's local model (loaded once per configuration), or the shared llama.cpp
    server when ``DESKROUTE_SLM_API_BASE`` is set. ``kb``: the knowledge base settings (its
    ``min_logprob`` decides whether log-probabilities are computed)."""
    s = settings
    if s.slm_api_base:
        from router.backends.slm_server import SLMServerBackend

        return SLMServerBackend.for_settings(s)
    path = s.slm_model or str(bundled_slm_path())
    logprobs = s.slm_logprobs
    if logprobs is None:  # only the verifier's logprob check reads them
        logprobs = kb.min_logprob is not None
    return _cached(path, s.slm_context, s.slm_max_tokens, s.slm_threads,
                   s.slm_extra_buffers, s.slm_gpu_layers, logprobs)
