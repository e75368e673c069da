"""An OpenAI-compatible llama.cpp server that loads its model the AMX-safe way.

``python -m router.backends.llama_server --host 0.0.0.0 --port 8081`` takes every option of
``python -m llama_cpp.server`` (the ``server`` extra) and loads the model under the same
:mod:`router.backends.llama_cpu` plan as the SLM workers, so a shared SLM server (or the
tests' stand-in for a hosted LLM) cannot hit llama.cpp's AMX crash. Without ``--model`` it
serves the SLM workers' model (``DESKROUTE_SLM_MODEL``, else the bundled GGUF); without
``--n_gpu_layers`` it offloads ``DESKROUTE_SLM_GPU_LAYERS`` layers. SLM workers use it with
``DESKROUTE_SLM_API_BASE=http://HOST:8081/v1`` (README "Scaling out").
"""

from __future__ import annotations

import sys

from router.backends.llama_cpu import current_plan, model_params
from router.settings import ModelSettings, bundled_slm_path


def defaults(argv: list[str], settings: ModelSettings) -> list[str]:
    """``argv`` with the workers' model and GPU layers added where not given."""
    given = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    extra: list[str] = []
    if "--model" not in given:
        extra += ["--model", settings.slm_model or str(bundled_slm_path())]
    if "--n_gpu_layers" not in given:
        extra += ["--n_gpu_layers", str(settings.slm_gpu_layers)]
    return [*argv, *extra]


def main() -> None:
    try:
        from llama_cpp.server.__main__ import main as serve
    except ImportError:
        sys.exit("error: the llama.cpp server is not installed: pip install 'deskroute[server]'")
    settings = ModelSettings()
    sys.argv = [sys.argv[0], *defaults(sys.argv[1:], settings)]
    plan = current_plan(settings.slm_extra_buffers)
    print(f"deskroute llama server: {plan.reason}", file=sys.stderr, flush=True)
    with model_params(plan):  # held for the server's lifetime: every model it loads
        serve()


if __name__ == "__main__":
    main()
