"""``deskroute deliveries``: see and re-send replies/escalations a helpdesk kept refusing.

A delivery that failed after all its attempts (the vendor API down, rate-limited past the
budget, or refusing the escalation) leaves its ticket ``failed`` with the last error. Nothing
is lost: the draft and the note are in the store, and ``retry`` sends them once more, now.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from router.cli.output import console, emit_json, fail

app = typer.Typer(help="Failed deliveries: list them, re-send them.", no_args_is_help=True)

_DB = typer.Option(None, "--database-url", help="Override DESKROUTE_DATABASE_URL.")


def _row(session: Any, ticket: Any) -> dict[str, Any]:
    from router.store import repo

    failed = (ticket.meta or {}).get("delivery_failed") or {}
    attempts = repo.delivery_attempts(session, ticket.id)
    last = attempts[-1] if attempts else None
    return {
        "id": ticket.id, "source": ticket.source, "external_id": ticket.external_id,
        "kind": failed.get("kind"), "attempts": failed.get("attempts", len(attempts)),
        "status_code": last.status_code if last else None,
        "error": failed.get("error") or (last.error if last else None),
        "last_attempt_at": last.created_at.isoformat() if last else None,
    }


@app.command("list")
def list_failed(
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = _DB,
) -> None:
    """Tickets whose reply or escalation could not be delivered (oldest first)."""
    from router.store import repo
    from router.store.db import unit_of_work

    try:
        with unit_of_work(database_url) as session:
            rows = [_row(session, t) for t in repo.failed_deliveries(session)]
    except Exception as exc:  # no such table etc.
        fail(f"cannot read the store ({exc.__class__.__name__}); run `deskroute db upgrade`")
    if json_out:
        emit_json(rows)
        return
    if not rows:
        console.print("no failed deliveries")
        return
    table = Table(title="Failed deliveries (retry with: deskroute deliveries retry ID)",
                  title_justify="left")
    for col in ("ID", "source", "ticket", "kind", "attempts", "last error", "last attempt"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["source"], r["external_id"], str(r["kind"]),
                      str(r["attempts"]), str(r["error"] or "-")[:80],
                      str(r["last_attempt_at"] or "-")[:19])
    console.print(table)


@app.command("retry")
def retry(
    ids: list[int] = typer.Argument(None, help="Ticket ids from `deskroute deliveries list`."),
    all_failed: bool = typer.Option(False, "--all", help="Retry every failed delivery."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = _DB,
) -> None:
    """Send failed deliveries once more, now, through the ticket's connector.

    Exits 0 when every one was delivered, 1 when any failed again (it stays listed).
    """
    from router.pipeline.services import Services
    from router.pipeline.steps import deliver_now, reopen_failed_delivery
    from router.settings import Settings
    from router.store import repo
    from router.store.db import unit_of_work

    if not ids and not all_failed:
        fail("name one or more ticket ids, or pass --all")
    services = Services.from_settings(Settings.load(database_url=database_url))  # the edge
    with unit_of_work(database_url) as session:
        wanted = [t.id for t in repo.failed_deliveries(session)] if all_failed else list(ids)
    results: list[dict[str, Any]] = []
    for ticket_id in wanted:
        with unit_of_work(database_url) as session:
            ticket = repo.get_ticket(session, ticket_id, lock=True)
            if ticket is None:
                fail(f"ticket {ticket_id} not found")
            try:
                kind = reopen_failed_delivery(session, ticket)
            except ValueError as exc:
                fail(str(exc))
        with unit_of_work(database_url) as session:  # the attempt is recorded before the call
            ticket = repo.get_ticket(session, ticket_id, lock=True)
            assert ticket is not None
            queued = deliver_now(session, services, ticket)
            failed = (ticket.meta or {}).get("delivery_failed") or {}
            results.append({"id": ticket_id, "kind": kind, "state": ticket.state,
                            "error": failed.get("error"), "queued": queued,
                            "reason": ticket.reason})
    if json_out:
        emit_json(results)
    else:
        for r in results:
            if r["state"] == "failed":
                console.print(f"ticket {r['id']}: {r['kind']} failed again: {r['error']}")
            elif r["queued"]:
                console.print(f"ticket {r['id']}: {r['kind']} refused ({r['reason']}); "
                              f"queued: {r['queued']}")
            else:
                console.print(f"ticket {r['id']}: {r['kind']} sent ({r['state']})")
    if any(r["state"] == "failed" for r in results):
        raise typer.Exit(1)
