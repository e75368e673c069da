"""``deskroute policy check FILE`` and ``deskroute policy schema``.

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
                  help="Check routing policies and print their JSON Schema.")


def require_valid_policy(path: str | None) -> Any:
    """The policy at ``path`` (None = the shipped default), or exit with one line naming it."""
    from policies import PolicyError, load_policy

    try:
        return load_policy(path)
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
    }
    if json_out:
        emit_json(summary)
    else:
        console.print(f"{file}: ok (policy {policy.name!r}, hash {policy.hash}; "
                      f"{len(policy.escalate_signals)} signals escalate, "
                      f"{len(policy.rules)} text rules)", highlight=False, soft_wrap=True)


@app.command("schema")
def schema() -> None:
    """Print the policy JSON Schema (published as docs/policy.schema.json)."""
    from policies.model import schema_json

    sys.stdout.write(schema_json())


if __name__ == "__main__":  # pragma: no cover
    app()
