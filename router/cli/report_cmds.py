"""``deskroute report``: the support-ops report in the terminal, as JSON or as CSV."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from router.cli.output import console, emit_json, err_console, fail

BY_HELP = "Add a table sliced by intent, channel, route, day, week, policy or classifier."


def report(
    since: Annotated[str | None, typer.Option(
        help="Tickets created since: 7d, 24h, 30m, 2w or an ISO date.")] = None,
    until: Annotated[str | None, typer.Option(
        help="Tickets created before: same forms as --since.")] = None,
    by: Annotated[str | None, typer.Option(help=BY_HELP)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    csv_out: Annotated[bool, typer.Option(
        "--csv", help="Print CSV, one row per slice (per intent without --by).")] = False,
    database_url: Annotated[str | None, typer.Option(
        help="Override DESKROUTE_DATABASE_URL.")] = None,
) -> None:
    """Deflection, verified resolution, escalations, latency and true cost, from the store.

    Every figure is defined in docs/METRICS.md. Unit costs come from
    DESKROUTE_LOCAL_COST_PER_HOUR and DESKROUTE_HUMAN_COST_PER_TICKET; hosted tokens are
    priced from litellm's price map or DESKROUTE_LLM_PRICE_INPUT/OUTPUT_PER_MTOK.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from router.cli.report_view import report_csv, report_tables
    from router.reports import build_report, make_window
    from router.reports.facts import SLICES
    from router.settings import StoreSettings
    from router.store.db import unit_of_work
    from router.store.migrate import ensure_ready

    if json_out and csv_out:
        fail("choose one of --json and --csv")
    if by is not None and by not in SLICES:
        fail(f"--by: expected one of {', '.join(SLICES)}, got {by!r}")
    try:
        window = make_window(since, until)
    except ValueError as exc:
        fail(str(exc))
    url = database_url or StoreSettings().database_url
    ensure_ready(url)  # an unmigrated or unreachable store is one clear line
    try:
        with unit_of_work(url) as session:
            data = build_report(session, window, by=by)
    except SQLAlchemyError as exc:
        fail(f"cannot read the store ({exc.__class__.__name__}); run `deskroute db upgrade`")
    if json_out:
        emit_json(data)
        return
    if csv_out:
        sys.stdout.write(report_csv(data))
        return
    for table in report_tables(data):
        console.print(table)
    for warning in data["warnings"]:
        err_console.print(f"[yellow]warning:[/] {warning}")
