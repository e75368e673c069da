"""The hosted leg: any litellm model id, with timeout, retries and the cost litellm reports."""

from __future__ import annotations

import os
import time
from typing import Any

from router.backends.base import BackendError, Message
from router.domain import Draft
from router.pricing import price_of
from router.settings import LLMSettings


def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


class LLMBackend:
    name = "llm"

    def __init__(self, settings: LLMSettings) -> None:
        if not settings.llm_model:
            raise BackendError("no hosted LLM configured (DESKROUTE_LLM_MODEL is empty)")
        self._s = settings

    @property
    def model(self) -> str:
        return self._s.llm_model or ""

    def generate(self, messages: list[Message]) -> Draft:
        litellm = _litellm()
        start = time.perf_counter()
        try:
            resp: Any = litellm.completion(
                model=self._s.llm_model,
                messages=messages,
                api_base=self._s.llm_api_base,
                api_key=self._s.llm_api_key or ("sk-none" if self._s.llm_api_base else None),
                timeout=self._s.llm_timeout,
                num_retries=self._s.llm_retries,
                max_tokens=self._s.llm_max_tokens,
                temperature=self._s.llm_temperature,
                **({"seed": self._s.llm_seed} if self._s.llm_seed is not None else {}),
            )
        except Exception as exc:  # litellm maps provider errors onto many exception types
            raise BackendError(f"hosted LLM call failed: {type(exc).__name__}: {exc}") from exc
        latency = (time.perf_counter() - start) * 1000
        usage = getattr(resp, "usage", None)
        text = resp.choices[0].message.content or ""
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        price = price_of(self.model)  # the same price the report and /metrics use
        return Draft(
            backend=self.name,
            model=self.model,
            text=text.strip(),
            prompt_tokens=prompt,
            completion_tokens=completion,
            latency_ms=latency,
            cost_usd=price.cost(prompt, completion),
            meta={"price_source": price.source},  # "unknown": counted at $0, and said so
        )


def get_llm(settings: LLMSettings | None = None) -> LLMBackend | None:
    s = settings or LLMSettings()
    return LLMBackend(s) if s.configured else None
