"""How llama.cpp may load a model on this CPU without crashing.

llama.cpp can repack weights into "extra" CPU buffer types at load time. On Intel Xeons with
AMX (Sapphire Rapids and later, common in clouds and under hypervisors) a source build made on
that machine compiles the AMX buffer type in, and the first generation then segfaults inside
``ggml_backend_amx_mul_mat`` (upstream llama.cpp issue 20824). Loading with
``llama_model_params.use_extra_bufts = False`` keeps the weights in plain CPU buffers, which
works everywhere; on CPUs without AMX the extra buffers only speed up some quantisations
(Q4_0 repacking), so they stay on there.

``DESKROUTE_SLM_EXTRA_BUFFERS``: ``auto`` (off where AMX is present in the CPU or the build),
``off`` (the safe mode, forced), ``on`` (trust the build; only for a build made without AMX).

llama-cpp-python's ``Llama`` does not expose ``use_extra_bufts``; it reads
``llama_model_default_params()`` once per construction, so :func:`model_params` swaps that
function for the duration of one construction (under a lock: constructions are serialised).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

ExtraBuffers = Literal["auto", "on", "off"]
AMX_CPU_FLAGS = frozenset({"amx_tile", "amx_int8", "amx_bf16", "amx_fp16", "amx_complex"})
_FEATURE_RE = re.compile(r"([A-Z0-9_]+)\s*=\s*(\d+)")
_LOAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class LoadPlan:
    """What the model is loaded with, and why (shown by ``deskroute doctor`` and stored)."""

    use_extra_bufts: bool
    reason: str


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags the kernel reports (empty where there is no /proc/cpuinfo)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def parse_system_info(info: str) -> dict[str, int]:
    """``llama_print_system_info()`` as a dict: ``{"AVX2": 1, "AMX_INT8": 1, ...}``."""
    return {name: int(value) for name, value in _FEATURE_RE.findall(info)}


@lru_cache(maxsize=1)
def build_features() -> dict[str, int]:
    """The features the installed llama.cpp build was compiled with."""
    import llama_cpp

    raw = llama_cpp.llama_print_system_info()
    return parse_system_info(raw.decode() if isinstance(raw, bytes) else str(raw))


def amx_present(flags: frozenset[str], features: dict[str, int]) -> bool:
    return bool(flags & AMX_CPU_FLAGS) or any(
        v for k, v in features.items() if k.startswith("AMX")
    )


def plan_load(setting: ExtraBuffers, flags: frozenset[str],
              features: dict[str, int]) -> LoadPlan:
    """Decide whether llama.cpp may use its extra (repacking) buffer types."""
    if setting == "off":
        return LoadPlan(False, "extra buffer types off (DESKROUTE_SLM_EXTRA_BUFFERS=off)")
    if setting == "on":
        return LoadPlan(True, "extra buffer types on (DESKROUTE_SLM_EXTRA_BUFFERS=on)")
    if amx_present(flags, features):
        return LoadPlan(False, "AMX present: extra buffer types off (llama.cpp AMX repacking "
                               "crashes on such CPUs)")
    return LoadPlan(True, "no AMX: extra buffer types on")


def current_plan(setting: ExtraBuffers) -> LoadPlan:
    return plan_load(setting, cpu_flags(), build_features())


@contextmanager
def model_params(plan: LoadPlan) -> Iterator[None]:
    """Make every ``Llama(...)`` built inside this block load according to ``plan``."""
    import llama_cpp.llama_cpp as lib

    with _LOAD_LOCK:
        original: Callable[[], Any] = lib.llama_model_default_params

        def patched() -> Any:
            params = original()
            params.use_extra_bufts = plan.use_extra_bufts
            return params

        lib.llama_model_default_params = patched  # type: ignore[assignment]
        try:
            yield
        finally:
            lib.llama_model_default_params = original  # type: ignore[assignment]
