"""An OpenAI-compatible llama.cpp server that loads its model the AMX-safe way.

``python -m router.backends.llama_server --model FILE.gguf --host 127.0.0.1 --port 8081``
takes every option of ``python -m llama_cpp.server`` (the ``server`` extra) and loads the
model under the same :mod:`router.backends.llama_cpu` plan as the SLM workers, so a shared
SLM server (or the tests' stand-in for a hosted LLM) cannot hit llama.cpp's AMX crash.
"""

from __future__ import annotations

import sys

from router.backends.llama_cpu import current_plan, model_params
from router.settings import ModelSettings


def main() -> None:
    try:
        from llama_cpp.server.__main__ import main as serve
    except ImportError:
        sys.exit("error: the llama.cpp server is not installed: pip install 'deskroute[server]'")
    plan = current_plan(ModelSettings().slm_extra_buffers)
    print(f"deskroute llama server: {plan.reason}", file=sys.stderr, flush=True)
    with model_params(plan):  # held for the server's lifetime: every model it loads
        serve()


if __name__ == "__main__":
    main()
