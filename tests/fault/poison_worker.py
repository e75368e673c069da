"""A Celery worker whose SLM step kills its own process for any ticket saying POISON (what a
segfault in llama.cpp looks like to the worker), for the fault suite's ``poison`` case. The
rest is the real ``deskroute worker``."""

from __future__ import annotations

import os
import signal
import sys

from router.pipeline import steps

_real = steps.STEPS["slm"]


def _crash_on_poison(session, services, ticket):  # type: ignore[no-untyped-def]
    if "POISON" in (ticket.body or ""):
        os.kill(os.getpid(), signal.SIGKILL)
    return _real(session, services, ticket)


steps.STEPS["slm"] = _crash_on_poison

if __name__ == "__main__":
    from router.cli.main import app

    sys.argv = ["deskroute", *sys.argv[1:]]
    app()
