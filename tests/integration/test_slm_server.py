"""SLM workers pointed at a shared llama.cpp server (``DESKROUTE_SLM_API_BASE``) instead of
loading the GGUF: the real ``llama_cpp.server`` with the bundled model on loopback, behind a
capturing proxy so the request itself is checked — the local prompts and sampling, no hosted
key — and the draft is a local one (``slm``, no cost) that the verifier judges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from router.answering.local import LocalAnswerer
from router.answering.prepare import fill, ground
from router.backends.prompts import build_messages
from router.backends.slm import SLMBackend, get_slm
from router.backends.slm_server import SLMServerBackend
from router.kb.retrieve import KnowledgeBase
from router.kb.settings import KBSettings
from router.pipeline.services import Services
from router.settings import ModelSettings
from tests.helpers_http import CapturingProxy

pytestmark = pytest.mark.integration
TICKET = "Hi, I forgot my password and now I can't sign in"


@pytest.fixture
def proxy(llama_server: str) -> Iterator[CapturingProxy]:
    with CapturingProxy(llama_server.removesuffix("/v1")) as p:
        yield p


def test_the_slm_step_drafts_through_the_shared_server(
        shop_kb: KnowledgeBase, proxy: CapturingProxy, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setenv("DESKROUTE_LLM_API_KEY", "sk-hosted-secret")  # must not reach it
    monkeypatch.setenv("DESKROUTE_SLM_API_BASE", proxy.url + "/v1")
    monkeypatch.setenv("DESKROUTE_SLM_API_MODEL", "smol")
    monkeypatch.setenv("DESKROUTE_SLM_MAX_TOKENS", "48")
    models = ModelSettings()
    backend = get_slm(models, kb=KBSettings())
    assert isinstance(backend, SLMServerBackend)  # no GGUF loaded in this process
    kb_settings = KBSettings(min_relevance=0.0, min_intent_margin=-1.0)
    services = Services(models=models, kb_settings=kb_settings)
    res = LocalAnswerer(kb_settings, shop_kb, slm=services.slm,  # the pipeline's guarded path
                        mode="slm").answer(TICKET, "password_reset")

    assert res.draft.backend == "slm" and res.draft.model == "smol"
    assert res.draft.text and res.draft.completion_tokens > 0
    assert res.draft.cost_usd == 0.0  # counted as local
    assert res.verdict.accepted == (not res.verdict.reasons)  # the same verifier judged it
    (body,) = [json.loads(b) for b in proxy.bodies if b.strip()]
    g = ground(TICKET, "password_reset", shop_kb, kb_settings, k=kb_settings.top_k)
    assert body["messages"] == build_messages(g.text, fill(g.passages, g.text, kb_settings))
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["repeat_penalty"],
            body["seed"]) == (48, 0.2, 0.9, 1.15, 7)
    assert "sk-hosted-secret" not in json.dumps(proxy.headers)  # the hosted key stays home


def test_a_server_that_is_down_is_a_backend_error_naming_it(
        shop_kb: KnowledgeBase) -> None:
    from router.backends.base import BackendError
    from tests.helpers_http import free_port

    base = f"http://127.0.0.1:{free_port()}/v1"
    backend = SLMServerBackend(base, max_tokens=8, timeout=5)
    with pytest.raises(BackendError, match=f"SLM server {base} failed"):
        backend.generate([{"role": "user", "content": "hi"}])


def test_gpu_layers_reach_llama_cpp() -> None:
    """DESKROUTE_SLM_GPU_LAYERS is what llama.cpp is given (a CPU build keeps the value and
    runs on the CPU; a CUDA build offloads that many layers)."""
    from router.settings import bundled_slm_path

    backend = SLMBackend(str(bundled_slm_path()), n_ctx=256, max_tokens=4, logprobs=False,
                         gpu_layers=7)
    assert backend._llm.model_params.n_gpu_layers == 7
