"""``deskroute report``: the support-ops report in the terminal, as JSON or as CSV."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from router.cli.output import console, emit_json, err_console, fail

if TYPE_CHECKING:
    from router.reports.window import Window
    from router.settings import Settings

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
    promotion: Annotated[bool, typer.Option(
        "--promotion", help="Per intent: what agents did with the drafts (shadow and assist "
        "mode) and whether the policy's evidence rule says promote to auto.")] = False,
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
    from router.settings import Settings
    from router.store.db import unit_of_work
    from router.store.migrate import ensure_ready

    if json_out and csv_out:
        fail("choose one of --json and --csv")
    if promotion and (csv_out or by):
        fail("--promotion has its own table: use it without --by and --csv")
    if by is not None and by not in SLICES:
        fail(f"--by: expected one of {', '.join(SLICES)}, got {by!r}")
    try:
        window = make_window(since, until)
    except ValueError as exc:
        fail(str(exc))
    settings = Settings.load(database_url=database_url)  # this command's edge
    url = settings.store.database_url
    ensure_ready(url)  # an unmigrated or unreachable store is one clear line
    if promotion:
        return _promotion(settings, window, json_out)
    try:
        with unit_of_work(url) as session:
            data = build_report(session, window, by=by, settings=settings.reports,
                                llm=settings.llm, prices=settings.prices)
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


def _promotion(settings: Settings, window: Window, json_out: bool) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from router.classify.embedder import encoder_spec
    from router.cli.policy_cmds import require_valid_policy
    from router.cli.promotion_view import promotion_hints, promotion_table
    from router.rollout.evidence import promotion_report
    from router.rollout.judging import judge_pending, lazy_embed
    from router.store.db import unit_of_work

    models, url = settings.models, settings.store.database_url
    policy = require_valid_policy(models.policy)
    try:
        with unit_of_work(url) as session:
            # agent replies whose feedback task has not run (or failed) are judged now
            judged = judge_pending(session, lazy_embed(encoder_spec(models)),
                                   settings.feedback)
        with unit_of_work(url) as session:
            data = promotion_report(session, policy, window)
    except SQLAlchemyError as exc:
        fail(f"cannot read the store ({exc.__class__.__name__}); run `deskroute db upgrade`")
    data["judged_now"] = judged
    if json_out:
        emit_json(data)
        return
    if not data["intents"]:
        console.print("No drafts yet: in shadow or assist mode, agents' replies to tickets "
                      "deskroute drafted are compared with the drafts and counted here.")
        return
    console.print(promotion_table(data))
    for cmd in promotion_hints(data):
        console.print(f"next: {cmd}", highlight=False)
