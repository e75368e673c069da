"""The ``deskroute`` command line."""

from __future__ import annotations

import os

import typer

from router.cli import answer_cmds, db_cmds, delivery_cmds, demo_cmd, run_cmds

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

app.add_typer(db_cmds.app, name="db", help="Database migrations (Alembic).")
app.add_typer(delivery_cmds.app, name="deliveries", help="Failed deliveries: list, retry.")
app.command("demo")(demo_cmd.demo)
app.command("serve")(run_cmds.serve)
app.command("worker")(run_cmds.worker)
app.command("relay")(run_cmds.relay)
app.command("route")(answer_cmds.route)
app.command("answer")(answer_cmds.answer)
app.command("report")(run_cmds.report)


def _mount_modules() -> None:
    """Commands that live in their own modules (classifier, knowledge base)."""
    from router.cli import classify_cmds, kb_cmds

    app.registered_commands.extend(classify_cmds.app.registered_commands)
    app.add_typer(kb_cmds.kb_app, name="kb", help="Knowledge base of approved answers.")
    for cmd in kb_cmds.app.registered_commands:
        if cmd.name == "eval-answers" or getattr(cmd.callback, "__name__", "") == "eval_answers":
            app.registered_commands.append(cmd)


_mount_modules()

if __name__ == "__main__":
    app()
