"""``deskroute policy check FILE``, ``deskroute policy promote INTENT --to MODE`` and
``deskroute policy schema``.

A policy decides what customers receive, so it is validated before anything runs on it: the
same check refuses a bad policy here, at ``deskroute serve`` and at ``deskroute worker``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from router.cli.output import console, emit_json, err_console, fail

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                  help="Check routing policies, promote an intent, print the JSON Schema.")


def require_valid_policy(path: str | None) -> Any:
    """The policy at ``path`` (None = the shipped default), or exit with one line naming it."""
    from policies import PolicyError
    from policies.loader import current_policy

    try:
        return current_policy(path)  # as the file is now (a promotion may have changed it)
    except PolicyError as exc:
        fail(f"refusing to start with an invalid policy: {exc}")


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The policy YAML file to validate.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate FILE: every problem is printed as FILE:LINE: key: what is wrong (exit 1)."""
    from policies import PolicyError, load_policy

    try:
        policy = load_policy.__wrapped__(str(file))  # never a cached copy of an edited file
    except PolicyError as exc:
        if json_out:
            emit_json({"file": str(file), "ok": False, "problems": exc.problems})
        else:
            for line in exc.problems:
                err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False,
                                  soft_wrap=True)
        raise typer.Exit(1) from None
    summary = {
        "file": str(file), "ok": True, "name": policy.name, "hash": policy.hash,
        "escalate_signals": {str(k): v.value for k, v in policy.escalate_signals.items()},
        "rules": [r.name for r in policy.rules],
        "rollout": {"mode": policy.rollout.mode.value,
                    "intents": {k: v.value for k, v in policy.rollout.intents.items()},
                    "channels": {k: v.value for k, v in policy.rollout.channels.items()}},
    }
    if json_out:
        emit_json(summary)
    else:
        console.print(f"{file}: ok (policy {policy.name!r}, hash {policy.hash}; "
                      f"{len(policy.escalate_signals)} signals escalate, "
                      f"{len(policy.rules)} text rules; rollout: {policy.rollout.mode} unless "
                      f"{len(policy.rollout.intents)} intents say otherwise)",
                      highlight=False, soft_wrap=True)


@app.command("promote")
def promote_cmd(
    intent: Annotated[str, typer.Argument(help="The intent to move, e.g. order_status.")],
    to: Annotated[str, typer.Option("--to", help="The mode: auto, assist or shadow.")],
    policy: Annotated[Path | None, typer.Option(
        help="The policy file to edit (default: DESKROUTE_POLICY).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write the next version of the policy with INTENT in mode --to; the old file is kept
    as NAME.vN.yaml. Running workers pick the new version up at their next decision."""
    from router.domain import Mode
    from router.rollout.promote import PromoteError, promote
    from router.settings import ModelSettings

    try:
        mode = Mode(to)
    except ValueError:
        fail(f"--to: expected one of {', '.join(m.value for m in Mode)}, got {to!r}")
    path = policy or (Path(p) if (p := ModelSettings().policy) else None)
    if path is None:
        from policies.loader import DEFAULT_POLICY

        path = DEFAULT_POLICY
    from policies import PolicyError

    try:
        done = promote(path, intent, mode)
    except (PromoteError, PolicyError) as exc:
        fail(str(exc).replace("\n", "; "))
    summary = {"file": str(done.path), "kept": str(done.kept), "intent": done.intent,
               "mode": done.mode.value, "previous_mode": done.previous_mode.value,
               "version": done.version, "old_hash": done.old_hash, "new_hash": done.new_hash}
    if json_out:
        emit_json(summary)
        return
    console.print(f"{done.intent}: {done.previous_mode} -> {done.mode} in {done.path} "
                  f"(version {done.version}, hash {done.new_hash[:12]}); version "
                  f"{done.version - 1} kept as {done.kept}", highlight=False, soft_wrap=True)


@app.command("schema")
def schema() -> None:
    """Print the policy JSON Schema (published as docs/policy.schema.json)."""
    from policies.model import schema_json

    sys.stdout.write(schema_json())


if __name__ == "__main__":  # pragma: no cover
    app()
