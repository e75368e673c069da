"""The local leg on a shared llama.cpp server (``DESKROUTE_SLM_API_BASE``).

Several SLM workers (or machines without the RAM or GPU for the model) can share one
OpenAI-compatible llama.cpp server — ``python -m router.backends.llama_server`` or llama.cpp's
own ``llama-server`` — instead of each loading the GGUF. The call goes through the hosted leg's
client (:class:`~router.backends.llm.LLMBackend`: litellm, the budget as timeout, one retry),
with the local model's prompts and sampling; the draft is the local leg's (``backend="slm"``,
no cost: the server is yours), so the same verifier judges it and reports count it as local.
Log-probabilities are not requested: ``DESKROUTE_KB_MIN_LOGPROB`` has nothing to check here.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from router.backends.base import BackendError, Message
from router.backends.llm import LLMBackend
from router.backends.slm import SAMPLING
from router.domain import Draft
from router.pricing import PriceSettings
from router.settings import LLMSettings, ModelSettings


class SLMServerBackend:
    name = "slm"

    def __init__(self, api_base: str, *, model: str = "local", api_key: str | None = None,
                 max_tokens: int = 160, timeout: float = 60.0) -> None:
        self.api_base = api_base
        self._model = model
        # a local model's tokens cost nothing (every field given: nothing read from the env)
        free = PriceSettings(llm_price_input_per_mtok=0.0, llm_price_output_per_mtok=0.0)
        extra = {k: v for k, v in SAMPLING.items() if k not in ("temperature", "seed")}
        self._client = LLMBackend(LLMSettings(
            llm_model=f"openai/{model}", llm_api_base=api_base, llm_api_key=api_key,
            llm_timeout=timeout, llm_retries=1, llm_max_tokens=max_tokens,
            llm_temperature=SAMPLING["temperature"], llm_seed=SAMPLING["seed"]),
            free, extra_body=extra)

    @classmethod
    def for_settings(cls, s: ModelSettings) -> SLMServerBackend:
        assert s.slm_api_base
        return _cached(s.slm_api_base, s.slm_api_model, s.slm_api_key, s.slm_max_tokens,
                       s.slm_timeout)

    @property
    def model(self) -> str:
        return self._model

    def generate(self, messages: list[Message], timeout: float | None = None) -> Draft:
        try:
            draft = self._client.generate(messages, timeout=timeout)
        except BackendError as exc:
            why = str(exc).removeprefix("hosted LLM call failed: ")
            raise BackendError(f"SLM server {self.api_base} failed: {why}") from exc
        return replace(draft, backend=self.name, model=self.model, cost_usd=0.0,
                       meta={"mean_logprob": None, "server": self.api_base})


@lru_cache(maxsize=2)
def _cached(api_base: str, model: str, api_key: str | None, max_tokens: int,
            timeout: float) -> SLMServerBackend:
    return SLMServerBackend(api_base, model=model, api_key=api_key, max_tokens=max_tokens,
                            timeout=timeout)
