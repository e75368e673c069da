"""Which way llama.cpp loads the model on which CPU (no model is loaded here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.backends.llama_cpu import cpu_flags, parse_system_info, plan_load

SAPPHIRE_RAPIDS = frozenset({"avx2", "avx512f", "avx512_vnni", "amx_tile", "amx_int8",
                             "amx_bf16"})
LAPTOP = frozenset({"avx", "avx2", "fma", "f16c"})
NATIVE_AMX_BUILD = parse_system_info(
    "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 | ")
PLAIN_BUILD = parse_system_info("CPU : SSE3 = 1 | AVX2 = 1 | REPACK = 1 | ")


def test_system_info_is_parsed_into_features() -> None:
    assert NATIVE_AMX_BUILD == {"SSE3": 1, "AVX2": 1, "AVX512": 1, "AMX_INT8": 1, "REPACK": 1}


@pytest.mark.parametrize(("flags", "features"), [
    (SAPPHIRE_RAPIDS, NATIVE_AMX_BUILD),  # built on the AMX machine itself
    (SAPPHIRE_RAPIDS, PLAIN_BUILD),  # AMX CPU, build without AMX: off anyway, cheap
    (LAPTOP, NATIVE_AMX_BUILD),  # a build made on an AMX host, copied elsewhere
])
def test_auto_turns_extra_buffers_off_wherever_amx_is_present(
        flags: frozenset[str], features: dict[str, int]) -> None:
    plan = plan_load("auto", flags, features)
    assert plan.use_extra_bufts is False
    assert "AMX" in plan.reason


def test_auto_keeps_extra_buffers_without_amx() -> None:
    assert plan_load("auto", LAPTOP, PLAIN_BUILD).use_extra_bufts is True


def test_setting_forces_either_way() -> None:
    assert plan_load("off", LAPTOP, PLAIN_BUILD).use_extra_bufts is False
    assert plan_load("on", SAPPHIRE_RAPIDS, NATIVE_AMX_BUILD).use_extra_bufts is True


def test_cpu_flags_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 amx_int8 amx_tile\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == {"fpu", "avx2", "amx_int8", "amx_tile"}
    assert cpu_flags(tmp_path / "missing") == frozenset()
