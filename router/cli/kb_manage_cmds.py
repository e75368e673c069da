"""``deskroute kb list | show | edit | retire | restore``: the approved answers after import.

The same functions as the API's ``/kb`` endpoints and the dashboard (router/kb/manage.py): an
edit or a retirement changes the knowledge base's fingerprint, so running workers reload it
on their next refresh check. A retired entry is never retrieved again but stays in the store,
because tickets answered with it still point at it (``restore`` brings it back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from router.cli.output import console, emit_json, fail, kv_table

_DB = typer.Option(None, "--database-url", help="Override DESKROUTE_DATABASE_URL.")
_JSON = typer.Option(False, "--json", help="Print JSON.")
_ID = typer.Argument(..., help="Entry id (from `deskroute kb list`).")


def _entry(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kb": row.kb, "ref": row.ref, "intent": row.intent,
            "title": row.title, "question": row.question, "answer": row.answer,
            "retired": row.retired_at is not None,
            "retired_at": row.retired_at.isoformat() if row.retired_at else None,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None}


@contextmanager
def _session(database_url: str | None) -> Iterator[Any]:
    """A unit of work on a store at head; unknown ids become one ``error:`` line."""
    from router.kb.manage import KBEntryError
    from router.settings import StoreSettings
    from router.store.db import unit_of_work
    from router.store.migrate import ensure_ready

    url = database_url or StoreSettings().database_url
    ensure_ready(url)
    try:
        with unit_of_work(url) as session:
            yield session
    except KBEntryError as exc:
        fail(str(exc))


def kb_list(
    q: Annotated[str | None, typer.Option("--q", help="Words to find in title, question "
                                          "or answer (all must match).")] = None,
    intent: Annotated[str | None, typer.Option(help="Only this intent.")] = None,
    kb: Annotated[str | None, typer.Option("--kb", help="Only this knowledge base.")] = None,
    retired: Annotated[bool, typer.Option("--retired", help="Include retired entries.")
                       ] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    json_out: bool = _JSON,
    database_url: str | None = _DB,
) -> None:
    """List approved answers, oldest first, with filters."""
    from router.kb.manage import KBFilter, list_entries

    with _session(database_url) as session:
        total, rows = list_entries(session, KBFilter(q=q, intent=intent, kb=kb,
                                                     include_retired=retired),
                                   limit=limit, offset=offset)
        entries = [_entry(r) for r in rows]
    if json_out:
        emit_json({"total": total, "entries": entries})
        return
    if not entries:
        console.print("no entries match (import some with: deskroute kb import FILE)"
                      if total == 0 and not (q or intent or kb) else "no entries match")
        return
    table = Table(title=f"Approved answers: {len(entries)} of {total}", title_justify="left")
    for col in ("ID", "kb", "intent", "question", "answer", "retired"):
        table.add_column(col)
    for e in entries:
        table.add_row(str(e["id"]), e["kb"], e["intent"] or "-", (e["question"] or "-")[:50],
                      e["answer"][:60], "yes" if e["retired"] else "")
    console.print(table)


def kb_show(entry_id: int = _ID, json_out: bool = _JSON, database_url: str | None = _DB
            ) -> None:
    """Show one approved answer in full."""
    from router.kb.manage import get_entry

    with _session(database_url) as session:
        entry = _entry(get_entry(session, entry_id))
    if json_out:
        emit_json(entry)
    else:
        console.print(kv_table(f"Approved answer {entry_id}", entry))


def kb_edit(
    entry_id: int = _ID,
    answer: Annotated[str | None, typer.Option(help="New approved answer text.")] = None,
    question: Annotated[str | None, typer.Option(help="New question.")] = None,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    intent: Annotated[str | None, typer.Option(help="New intent ('' clears it).")] = None,
    json_out: bool = _JSON,
    database_url: str | None = _DB,
) -> None:
    """Change an approved answer; running workers pick the change up on their next refresh."""
    from router.kb.manage import update_entry

    if answer is None and question is None and title is None and intent is None:
        fail("nothing to change: pass --answer, --question, --title or --intent")
    with _session(database_url) as session:
        entry = _entry(update_entry(session, entry_id, title=title, question=question,
                                    answer=answer, intent=intent))
    _done(entry, "updated", json_out)


def _set_retired(retired: bool) -> Callable[..., None]:
    def command(entry_id: int = _ID, json_out: bool = _JSON, database_url: str | None = _DB
                ) -> None:
        from router.kb.manage import retire_entry

        with _session(database_url) as session:
            entry = _entry(retire_entry(session, entry_id, retired=retired))
        _done(entry, "retired" if retired else "restored", json_out)

    command.__doc__ = ("Retire an approved answer: never retrieved again, kept for the tickets "
                       "that used it." if retired else
                       "Bring a retired approved answer back into retrieval.")
    command.__name__ = "kb_retire" if retired else "kb_restore"
    return command


def _done(entry: dict[str, Any], what: str, json_out: bool) -> None:
    if json_out:
        emit_json(entry)
    else:
        console.print(f"entry {entry['id']} {what}")


def mount(kb_app: typer.Typer) -> None:
    """Add the commands to ``deskroute kb`` (next to ``kb import``)."""
    kb_app.command("list")(kb_list)
    kb_app.command("show")(kb_show)
    kb_app.command("edit")(kb_edit)
    kb_app.command("retire")(_set_retired(True))
    kb_app.command("restore")(_set_retired(False))
