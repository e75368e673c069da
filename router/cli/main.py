"""The ``deskroute`` command line."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import typer

from router.cli import (
    answer_cmds,
    db_cmds,
    delivery_cmds,
    demo_cmd,
    doctor_cmd,
    email_cmds,
    export_cmds,
    policy_cmds,
    report_cmds,
    run_cmds,
)
from router.cli.errors import user_errors

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(
    name="deskroute",
    help="Answer each support ticket with the cheapest model that is safe for it.\n\n"
    "Routine tickets go to a local llama.cpp model grounded in your knowledge base; risky, "
    "unclear or out-of-scope ones escalate to a hosted LLM (litellm) or a human. "
    "Configuration comes from DESKROUTE_* environment variables (see the README).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def package_version() -> str:
    try:
        return version("deskroute")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deskroute {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit."),
) -> None:
    """Answer each support ticket with the cheapest model that is safe for it."""
    from router.logs import configure_logging

    configure_logging()  # only when DESKROUTE_LOG_FORMAT is set


app.add_typer(db_cmds.app, name="db", help="Database migrations (Alembic).")
app.add_typer(delivery_cmds.app, name="deliveries", help="Failed deliveries: list, retry.")
app.add_typer(policy_cmds.app, name="policy", help="Check routing policies (YAML).")
app.add_typer(export_cmds.app, name="export", help="Export data (distillation JSONL).")
app.add_typer(email_cmds.app, name="email", help="The support mailbox: poll (IMAP), check.")
app.command("demo")(demo_cmd.demo)
app.command("doctor")(doctor_cmd.doctor)
app.command("serve")(run_cmds.serve)
app.command("worker")(run_cmds.worker)
app.command("relay")(run_cmds.relay)
app.command("route")(answer_cmds.route)
app.command("answer")(answer_cmds.answer)
app.command("report")(report_cmds.report)


def _mount_modules() -> None:
    """Commands that live in their own modules (classifier, knowledge base)."""
    from router.cli import classify_cmds, kb_cmds, kb_manage_cmds

    app.registered_commands.extend(classify_cmds.app.registered_commands)
    kb_manage_cmds.mount(kb_cmds.kb_app)
    app.add_typer(kb_cmds.kb_app, name="kb", help="Knowledge base of approved answers.")
    for cmd in kb_cmds.app.registered_commands:
        if cmd.name == "eval-answers" or getattr(cmd.callback, "__name__", "") == "eval_answers":
            app.registered_commands.append(cmd)


def _guarded(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)  # Typer reads the wrapped signature for the options
    def run(*args: Any, **kwargs: Any) -> Any:
        with user_errors():
            return callback(*args, **kwargs)

    return run


def guard_commands(typer_app: typer.Typer) -> None:
    """Every command, in every group, prints user errors as one line (router/cli/errors.py)."""
    for cmd in typer_app.registered_commands:
        if cmd.callback is not None and not hasattr(cmd.callback, "__wrapped__"):
            cmd.callback = _guarded(cmd.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            guard_commands(group.typer_instance)


_mount_modules()
guard_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
