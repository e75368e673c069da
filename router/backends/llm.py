"""The hosted leg: any litellm model id, with timeout, retries and the cost litellm reports."""

from __future__ import annotations

import os
import time
from typing import Any

from router.backends.base import BackendError, Message
from router.domain import Draft
from router.pricing import PriceSettings, price_of
from router.settings import LLMSettings


def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


class LLMBackend:
    name = "llm"

    def __init__(self, settings: LLMSettings, prices: PriceSettings, *,
                 extra_body: dict[str, Any] | None = None) -> None:
        """``prices``: what a token costs (an override of litellm's map, if any);
        ``extra_body``: sampling fields the OpenAI API lacks, sent as they are (the SLM
        on a llama.cpp server: ``repeat_penalty``)."""
        if not settings.llm_model:
            raise BackendError("no hosted LLM configured (DESKROUTE_LLM_MODEL is empty)")
        self._s = settings
        self._prices = prices
        self._extra = {"extra_body": extra_body} if extra_body else {}
        _litellm()  # imported here (seconds, once per process), not inside a ticket's budget

    @property
    def model(self) -> str:
        return self._s.llm_model or ""

    def generate(self, messages: list[Message], timeout: float | None = None) -> Draft:
        """One completion, retried ``DESKROUTE_LLM_RETRIES`` times on a transient error.

        ``timeout``: what the ticket's budget has left. The attempts share it (each gets at
        most an even part of what remains), so a hanging provider costs the budget, not
        ``(retries + 1) x DESKROUTE_LLM_TIMEOUT``. Retries are made here, without a pause,
        rather than by litellm (whose retries need tenacity and wait between attempts) or
        the provider's client (whose own retries would multiply them).
        """
        litellm = _litellm()
        deadline = None if timeout is None else time.monotonic() + timeout
        attempts = self._s.llm_retries + 1
        start = time.perf_counter()
        resp: Any = None
        error: Exception | None = None
        for attempt in range(attempts):
            per_call = self._s.llm_timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left < 0.5:
                    break
                per_call = min(per_call, left / (attempts - attempt))
            try:
                resp = litellm.completion(
                    model=self._s.llm_model,
                    messages=messages,
                    api_base=self._s.llm_api_base,
                    api_key=self._s.llm_api_key or ("sk-none" if self._s.llm_api_base else None),
                    timeout=per_call,
                    num_retries=0,
                    max_retries=0,
                    max_tokens=self._s.llm_max_tokens,
                    temperature=self._s.llm_temperature,
                    **({"seed": self._s.llm_seed} if self._s.llm_seed is not None else {}),
                    **self._extra,
                )
                break
            except Exception as exc:  # litellm maps provider errors onto many exception types
                error = exc
                if not _transient(exc):
                    break
        if resp is None:
            what = f"{type(error).__name__}: {error}" if error is not None else \
                "no time left in the ticket's budget for a call"
            raise BackendError(f"hosted LLM call failed: {what}")
        latency = (time.perf_counter() - start) * 1000
        usage = getattr(resp, "usage", None)
        text = resp.choices[0].message.content or ""
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        price = price_of(self.model, self._prices)  # the report's and /metrics' price
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


def get_llm(settings: LLMSettings, prices: PriceSettings) -> LLMBackend | None:
    return LLMBackend(settings, prices) if settings.configured else None


def _transient(exc: Exception) -> bool:
    """Worth another attempt: timeouts, connection errors, 408/409/429 and 5xx answers; not a
    refused key, a bad request or an unknown model."""
    status = getattr(exc, "status_code", None)
    return not (isinstance(status, int) and 400 <= status < 500 and status not in (408, 409, 429))
