"""Which llama.cpp options the SLM backend is built with (no model is loaded here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.backends import slm
from router.kb.settings import KBSettings
from router.settings import ModelSettings


def _get_slm():  # type: ignore[no-untyped-def]
    """As a process's edge does: the settings read now, then handed in."""
    return slm.get_slm(ModelSettings(), kb=KBSettings())


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    calls: list[tuple] = []
    monkeypatch.setattr(slm, "_cached", lambda *args: calls.append(args) or object())
    for name in ("DESKROUTE_KB_MIN_LOGPROB", "DESKROUTE_SLM_LOGPROBS"):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_logprobs_are_off_unless_the_verifier_needs_them(
    built: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    _get_slm()
    monkeypatch.setenv("DESKROUTE_KB_MIN_LOGPROB", "-1.8")
    _get_slm()
    assert [call[-1] for call in built] == [False, True]


def test_logprobs_setting_overrides_the_default(
    built: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKROUTE_SLM_LOGPROBS", "true")
    _get_slm()
    monkeypatch.setenv("DESKROUTE_KB_MIN_LOGPROB", "-1.8")
    monkeypatch.setenv("DESKROUTE_SLM_LOGPROBS", "false")
    _get_slm()
    assert [call[-1] for call in built] == [True, False]


def test_threads_default_to_one_whatever_the_core_count(
    built: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    """All cores by default made local answers 5-15x slower under contention (issue 14)."""
    monkeypatch.delenv("DESKROUTE_SLM_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    _get_slm()
    monkeypatch.setenv("DESKROUTE_SLM_THREADS", "3")
    _get_slm()
    assert [call[3] for call in built] == [1, 3]
    assert slm.SLMBackend.__init__.__kwdefaults__["threads"] == 1


def test_gpu_layers_setting_reaches_the_model(
    built: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESKROUTE_SLM_GPU_LAYERS", raising=False)
    _get_slm()
    monkeypatch.setenv("DESKROUTE_SLM_GPU_LAYERS", "-1")
    _get_slm()
    assert [call[5] for call in built] == [0, -1]
    assert slm.SLMBackend.__init__.__kwdefaults__["gpu_layers"] == 0


def test_a_shared_server_replaces_the_model_in_process(
    built: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    from router.backends.slm_server import SLMServerBackend

    monkeypatch.setenv("DESKROUTE_SLM_API_BASE", "http://slm.internal:8081/v1")
    monkeypatch.setenv("DESKROUTE_LLM_API_KEY", "sk-hosted-secret")
    backend = _get_slm()
    assert isinstance(backend, SLMServerBackend) and built == []  # no GGUF loaded here
    assert backend.api_base == "http://slm.internal:8081/v1"


def test_the_shared_server_serves_the_workers_model_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from router.backends.llama_server import defaults
    from router.settings import ModelSettings, bundled_slm_path

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert defaults(["--port", "8081"], ModelSettings()) == [
        "--port", "8081", "--model", str(bundled_slm_path()), "--n_gpu_layers", "0"]
    monkeypatch.setenv("DESKROUTE_SLM_MODEL", str(gguf))
    monkeypatch.setenv("DESKROUTE_SLM_GPU_LAYERS", "-1")
    assert defaults([], ModelSettings()) == ["--model", str(gguf), "--n_gpu_layers", "-1"]
    assert defaults(["--model=x.gguf", "--n_gpu_layers", "20"], ModelSettings()) == [
        "--model=x.gguf", "--n_gpu_layers", "20"]
