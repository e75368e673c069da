"""``deskroute export distill``: training data for the local model from accepted LLM answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from router.cli.output import console, emit_json, err_console, fail

app = typer.Typer(no_args_is_help=True)


@app.command("distill")
def distill(
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write.")],
    since: Annotated[str | None, typer.Option(help="Tickets created since (7d, ISO).")] = None,
    until: Annotated[str | None, typer.Option(help="Tickets created before.")] = None,
    intent: Annotated[list[str] | None, typer.Option(
        help="Only this intent (repeat for several).")] = None,
    database_url: Annotated[str | None, typer.Option(
        help="Override DESKROUTE_DATABASE_URL.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Write accepted hosted-LLM answers to routine-intent tickets as chat-format JSONL.

    Only answers that were delivered and never reopened, edited or overridden; personal data
    redacted with one placeholder per value; the approved passages used are in the prompt.
    """
    from rich.progress import Progress

    from router.distill import count_candidates, export_distill
    from router.reports import make_window
    from router.settings import Settings
    from router.store.db import unit_of_work
    from router.store.migrate import ensure_ready

    try:
        window = make_window(since, until)
    except ValueError as exc:
        fail(str(exc))
    if out.exists() and out.is_dir():
        fail(f"--out {out} is a folder; give a file name")
    settings = Settings.load(database_url=database_url)  # this command's edge
    url = settings.store.database_url
    ensure_ready(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    with unit_of_work(url) as session, tmp.open("w", encoding="utf-8") as fh, \
            Progress(console=err_console, transient=True) as bar:
        task = bar.add_task("exporting", total=count_candidates(session, window, intent))
        summary = export_distill(session, fh, window, intent,
                                 progress=lambda n: bar.update(task, completed=n),
                                 pii=settings.pii)
    tmp.replace(out)  # a reader never sees half a file
    data = {"out": str(out), "examples": summary.written, "redactions": summary.redactions}
    if json_out:
        emit_json(data)
    else:
        console.print(f"wrote {summary.written} examples to {out} "
                      f"(redacted: {summary.redactions or 'nothing'})")
