"""Prices of hosted models, and the tokenizer used to estimate what a prompt would cost.

litellm's price map ships inside the litellm package as JSON; it is read directly (no import
of litellm, which takes seconds) so the report, the dashboard and the hosted leg all price a
token the same way. A model the map does not know is priced from ``DESKROUTE_LLM_PRICE_*``
when set; otherwise its cost is unknown, and every place that shows a cost says so instead of
showing $0 as if it were free.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

PriceSource = Literal["configured", "litellm", "unknown"]
DEFAULT_COUNTERFACTUAL_MODEL = "gpt-4o-mini"


class PriceSettings(BaseSettings):
    """Per-million-token prices that override litellm's map (negotiated or unknown models)."""

    model_config = SettingsConfigDict(env_prefix="DESKROUTE_", env_file=None, extra="ignore")
    llm_price_input_per_mtok: float | None = None
    llm_price_output_per_mtok: float | None = None


@dataclass(frozen=True)
class Price:
    model: str
    source: PriceSource
    input_per_token: float = 0.0
    output_per_token: float = 0.0

    @property
    def known(self) -> bool:
        return self.source != "unknown"

    def cost(self, prompt_tokens: float, completion_tokens: float) -> float:
        return prompt_tokens * self.input_per_token + completion_tokens * self.output_per_token

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "source": self.source,
                "input_usd_per_mtok": round(self.input_per_token * 1e6, 6),
                "output_usd_per_mtok": round(self.output_per_token * 1e6, 6)}


def price_of(model: str, settings: PriceSettings) -> Price:
    """The price per token of ``model``: configured, else litellm's map, else unknown."""
    s = settings
    if s.llm_price_input_per_mtok is not None or s.llm_price_output_per_mtok is not None:
        return Price(model, "configured", (s.llm_price_input_per_mtok or 0.0) / 1e6,
                     (s.llm_price_output_per_mtok or 0.0) / 1e6)
    entry = _lookup(model)
    if entry is None:
        return Price(model, "unknown")
    return Price(model, "litellm", float(entry.get("input_cost_per_token") or 0.0),
                 float(entry.get("output_cost_per_token") or 0.0))


def _lookup(model: str) -> dict[str, Any] | None:
    """litellm's entry for a model id, with or without its provider prefix."""
    table = _price_map()
    if model in table:
        return table[model]
    provider, _, bare = model.partition("/")
    entry = table.get(bare) if bare else None
    if entry is not None and entry.get("litellm_provider") in {provider, f"{provider}_chat"}:
        return entry
    return None


@lru_cache(maxsize=1)
def _price_map() -> dict[str, dict[str, Any]]:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations)))
    path = path / "model_prices_and_context_window_backup.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


# --- tokens ------------------------------------------------------------------------------------

# tiktoken caches its encodings under the SHA-1 of their download URL; litellm ships these two
# files for offline use, so no download ever happens here.
_BUNDLED = {"cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
            "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790"}


class Tokenizer:
    """Counts tokens as the hosted model would (OpenAI encodings; others are approximated)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.encoding_name = encoding_for(model)
        self._enc = _encoding(self.encoding_name)

    def count(self, text: str) -> int:
        return len(self._enc.encode(text, disallowed_special=()))

    def count_messages(self, messages: list[dict[str, str]]) -> int:
        """Chat tokens: each message's content plus OpenAI's ~4 tokens of framing, +3 to prime
        the reply (the figure OpenAI documents for its chat models)."""
        return sum(self.count(m.get("content", "")) + 4 for m in messages) + 3


def encoding_for(model: str) -> str:
    bare = model.rsplit("/", 1)[-1].lower()
    if bare.startswith(("gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")):
        return "o200k_base"
    return "cl100k_base"


@lru_cache(maxsize=2)
def _encoding(name: str) -> Any:
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    from tiktoken_ext import openai_public

    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litellm is not installed: its bundled tokenizer files are needed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / "litellm_core_utils" / "tokenizers" / _BUNDLED[name]
    ctor = getattr(openai_public, name)
    params = _params_without_download(ctor)
    return tiktoken.Encoding(name=name, pat_str=params["pat_str"],
                             mergeable_ranks=load_tiktoken_bpe(str(path)),
                             special_tokens=params["special_tokens"])


_PARAMS_LOCK = threading.Lock()


def _params_without_download(ctor: Any) -> dict[str, Any]:
    """The encoding's regex and special tokens, without letting tiktoken fetch its ranks.

    tiktoken only exposes them through the constructor that also downloads the ranks; its
    loader is swapped for a no-op for that one call (once per encoding, under a lock).
    """
    import tiktoken_ext.openai_public as op

    with _PARAMS_LOCK:
        real = op.load_tiktoken_bpe
        op.load_tiktoken_bpe = lambda *a, **k: {}
        try:
            return dict(ctor())
        finally:
            op.load_tiktoken_bpe = real
