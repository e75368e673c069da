"""The bundled SLM generates in the configuration an AMX machine uses, on any machine.

llama.cpp segfaults at the first generation on Xeons with AMX when it repacks weights into
AMX buffers (upstream issue 20824). CI machines may lack AMX, so these tests do not wait for
one: they load the real model the way an AMX host would and generate with it, and they fail
if this machine (or its llama.cpp build) has AMX and the pipeline's model is not loaded the
safe way.
"""

from __future__ import annotations

import pytest

from router.backends import llama_cpu, slm
from router.kb.settings import KBSettings
from router.settings import ModelSettings, bundled_slm_path

pytestmark = pytest.mark.integration

SAPPHIRE_RAPIDS_FLAGS = frozenset({"avx2", "avx512f", "avx512_vnni", "amx_tile", "amx_int8"})
MESSAGES = [{"role": "user", "content": "Rewrite for the customer: we ship within 2 days."}]


def test_generates_with_the_configuration_an_amx_machine_uses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama_cpu, "cpu_flags", lambda: SAPPHIRE_RAPIDS_FLAGS)
    backend = slm.SLMBackend(str(bundled_slm_path()), max_tokens=24, threads=2,
                             logprobs=False, extra_buffers="auto")
    assert backend.load_plan.use_extra_bufts is False
    assert backend.uses_extra_buffers is False  # what llama.cpp was really given
    draft = backend.generate(MESSAGES)
    assert draft.text.strip() and draft.completion_tokens > 0


def test_the_pipelines_model_is_loaded_safely_where_amx_is_present() -> None:
    """The real check on an AMX machine: the default settings must give the safe load."""
    flags, features = llama_cpu.cpu_flags(), llama_cpu.build_features()
    backend = slm.get_slm(ModelSettings(), kb=KBSettings())
    if llama_cpu.amx_present(flags, features):
        assert backend.uses_extra_buffers is False, backend.load_plan
    else:
        assert backend.uses_extra_buffers is True, backend.load_plan
    assert backend.generate(MESSAGES).text.strip()


def test_the_safe_mode_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_SLM_EXTRA_BUFFERS", "off")
    assert ModelSettings().slm_extra_buffers == "off"
    backend = slm.SLMBackend(str(bundled_slm_path()), max_tokens=8, threads=1,
                             logprobs=False, extra_buffers=ModelSettings().slm_extra_buffers)
    assert backend.uses_extra_buffers is False
