"""``deskroute doctor``: what this machine and configuration will run, checked without side
effects (no model is generated with, no table is created)."""

from __future__ import annotations

from typing import Any

import typer

from router.cli.output import console, emit_json, kv_table


def _check(fn: Any) -> tuple[bool, str]:
    from router.cli.errors import user_message

    try:
        return True, str(fn())
    except Exception as exc:  # noqa: BLE001 - each check reports its own failure
        return False, user_message(exc) or f"{type(exc).__name__}: {exc}"


def doctor(
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check the CPU and llama.cpp build, the local model, the store, the policy and the LLM.

    Exits 1 when a check fails, so it can gate a deployment.
    """
    from router.backends.llama_cpu import build_features, cpu_flags, plan_load
    from router.settings import LLMSettings, ModelSettings, StoreSettings, bundled_slm_path

    models = ModelSettings()
    store = StoreSettings()
    flags = cpu_flags()
    checks: dict[str, tuple[bool, str]] = {}
    checks["llama.cpp build"] = _check(
        lambda: ", ".join(k for k, v in sorted(build_features().items()) if v) or "no features")
    checks["cpu"] = (True, ", ".join(sorted(f for f in flags if f.startswith(("avx", "amx"))))
                     or "no AVX/AMX flags reported")
    checks["slm load plan"] = _check(
        lambda: plan_load(models.slm_extra_buffers, flags, build_features()).reason)
    checks["slm model"] = _check(lambda: _model_file(models.slm_model or str(bundled_slm_path())))
    checks["store"] = _check(lambda: _store(store.database_url))
    checks["policy"] = _check(lambda: _policy(models.policy))
    llm = LLMSettings()
    checks["hosted llm"] = (True, llm.llm_model or "none configured: escalations go to humans")
    ok = all(passed for passed, _ in checks.values())
    if json_out:
        emit_json({"ok": ok, "checks": {k: {"ok": p, "detail": d} for k, (p, d) in
                                         checks.items()}})
    else:
        console.print(kv_table("deskroute doctor", {
            k: ("ok  " if p else "FAIL ") + d for k, (p, d) in checks.items()}))
    if not ok:
        raise typer.Exit(1)


def _model_file(path: str) -> str:
    import os

    from router.errors import UserError

    if not os.path.isfile(path):
        raise UserError(f"SLM model file not found: {path} (set DESKROUTE_SLM_MODEL)")
    return f"{path} ({os.path.getsize(path) / 1e6:.0f} MB)"


def _store(url: str) -> str:
    from router.store.migrate import current_revision, display, head_revision

    current, head = current_revision(url), head_revision()
    if current == head:
        return f"{display(url)} at revision {head}"
    if url.startswith("sqlite"):
        return f"{display(url)}: will be migrated to {head} on first use"
    from router.errors import StoreError

    raise StoreError(f"{display(url)} is at revision {current or 'none'}, needs {head}: "
                     "run `deskroute db upgrade`")


def _policy(path: str | None) -> str:
    from policies.loader import load_policy

    policy = load_policy(path)
    return f"{policy.name} ({policy.hash})"
