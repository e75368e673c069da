"""``deskroute kb import FILE`` and ``deskroute eval-answers``.

The command functions are plain so the main CLI can mount them under any name: ``app`` holds
them as ``kb-import`` and ``eval-answers``, ``kb_app`` holds ``import`` for ``deskroute kb``.
Progress goes to stderr so ``--json`` output on stdout stays machine-readable.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from router.cli.output import console, err_console, fail

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                  help="Knowledge base of approved answers.")
kb_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                     help="Knowledge base of approved answers.")



@kb_app.callback()
def _kb_group() -> None:
    """Knowledge base of approved answers (a group even with one command: ``kb import``)."""


_TABLE_COLUMNS = ("mode", "n", "answered_rate", "wrong_source_rate", "unsupported_claim_rate",
                  "similarity_mean", "accept_rate", "similarity_accepted",
                  "similarity_rejected", "hallucination_rate", "p50_ms", "p95_ms",
                  "p50_overhead_ms", "tokens_per_s", "retrieval_intent_hit")


def _offline_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


def kb_import(
    file: Annotated[Path | None, typer.Argument(
        help="Folder of .md files, Q&A CSV or Bitext CSV.")] = None,
    sample: Annotated[bool, typer.Option(
        "--sample", help="Import the demo shop's 30 approved answers (shipped).")] = False,
    kb: Annotated[str, typer.Option("--kb", help="Knowledge-base name.")] = "default",
    database_url: Annotated[str | None, typer.Option(help="Store (default: settings).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import approved answers from FILE and refresh the on-disk vector index."""
    from sqlalchemy.exc import SQLAlchemyError

    from router.classify.embedder import encoder_spec, get_encoder
    from router.kb.importers import default_kb_path, import_file
    from router.kb.retrieve import KnowledgeBase
    from router.kb.settings import KBSettings
    from router.settings import ModelSettings, StoreSettings
    from router.store.db import session_factory, unit_of_work
    from router.store.migrate import ensure_ready

    _offline_env()
    if (file is None) == (not sample):
        fail("give a FILE to import, or --sample for the demo shop's answers (not both)")
    file = default_kb_path() if file is None else file
    url = database_url or StoreSettings().database_url
    ensure_ready(url)
    kb_dir = KBSettings().dir
    try:
        with unit_of_work(url) as session:
            report = import_file(session, file, kb=kb)
        with session_factory(url)() as session, _progress() as progress:
            task = progress.add_task("embedding entries", total=None)
            index = KnowledgeBase.from_session(
                session, kb_dir=kb_dir, encoder=get_encoder(encoder_spec(ModelSettings())),
                progress=lambda done, total: progress.update(task, completed=done, total=total))
    except (FileNotFoundError, ValueError, UnicodeDecodeError) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"cannot write the knowledge base ({type(exc).__name__}); "
             "has `deskroute db upgrade` been run for this store?")
    out = {"source": report.source, "format": report.format, "kb": report.kb,
           "added": report.added, "duplicates": report.duplicates,
           "skipped_empty": report.skipped_empty, "entries_total": len(index),
           "index_dir": str(kb_dir)}
    if json_out:
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        console.print(f"[bold]{report.added}[/] entries added to KB '{kb}' from {file} "
                      f"({report.format}; {report.duplicates} duplicates, "
                      f"{report.skipped_empty} without an answer skipped); "
                      f"{len(index)} entries indexed in {kb_dir}")


def eval_answers(
    kb: Annotated[Path, typer.Option("--kb", help="KB CSV (Q&A or Bitext layout).")],
    test: Annotated[Path, typer.Option("--test", help="Test CSV with reference answers.")],
    mode: Annotated[list[str] | None, typer.Option(
        "--mode", help="slm, template, slm-no-kb or llm (repeatable; default: all).")] = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help="Sample N test rows, stratified by intent.")] = None,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 7,
    use_intent: Annotated[bool, typer.Option(
        "--use-intent/--no-intent",
        help="Retrieve with the row's labelled intent (as if classified correctly).")] = True,
    index_dir: Annotated[Path | None, typer.Option(
        help="Keep the KB's vector index here between runs (default: a temp folder).")] = None,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object per mode, one per line.")] = False,
) -> None:
    """Retrieve, draft and verify each test ticket; compare answers with the references."""
    from router.answering.modes import MODES
    from router.backends.base import BackendError
    from router.kb.evaluate_answers import available_modes, evaluate
    from router.settings import Settings

    _offline_env()
    settings = Settings.load()  # this command's edge: read once, handed to every mode
    modes = list(mode or available_modes(settings.llm))
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        fail(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}")
    if "llm" in modes and not settings.llm.configured:
        fail("mode llm needs a hosted model (set DESKROUTE_LLM_MODEL)")
    try:
        with _progress() as progress:
            tasks: dict[str, Any] = {}

            def step(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = progress.add_task(phase, total=total)
                progress.update(tasks[phase], completed=done, total=total)

            results = evaluate(kb, test, settings, modes=modes, limit=limit, seed=seed,
                               use_intent=use_intent, step=step, index_dir=index_dir)
    except (FileNotFoundError, ValueError, UnicodeDecodeError, BackendError) as exc:
        fail(str(exc))
    if json_out:
        for row in results:
            sys.stdout.write(json.dumps(row) + "\n")
        return
    table = Table(title="eval-answers", title_justify="left")
    for col in _TABLE_COLUMNS:
        table.add_column(col, justify="left" if col == "mode" else "right")
    for row in results:
        table.add_row(*("-" if row.get(c) is None else str(row[c]) for c in _TABLE_COLUMNS))
    console.print(table)


app.command("kb-import")(kb_import)
app.command("eval-answers")(eval_answers)
kb_app.command("import")(kb_import)

if __name__ == "__main__":
    app()
