"""``deskroute demo``: replay bundled tickets through the real pipeline and print the report."""

from __future__ import annotations

import json
import secrets
import tempfile
from pathlib import Path

import typer
from rich.progress import Progress

from router.cli.output import console, emit_json, err_console, fail
from router.cli.report_view import report_tables
from router.settings import DATA_DIR

DEMO_TICKETS = DATA_DIR / "demo_tickets.jsonl"


def load_demo_tickets(path: Path = DEMO_TICKETS) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: {exc}") from exc
    return rows


def demo(
    tickets: Path = typer.Option(DEMO_TICKETS, help="JSON-lines file of generic tickets."),
    database_url: str | None = typer.Option(
        None, help="Store to use (default: a fresh SQLite file in a temp folder)."),
    limit: int | None = typer.Option(None, help="Only the first N tickets."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Replay ~30 sample tickets through webhook → store → route → answer → deliver.

    Runs on the embedded defaults: SQLite, no Redis, the bundled SmolLM2 model and encoder,
    the shipped shop classifier, policy and knowledge base. Every ticket goes through the
    signed HTTP webhook of the API, exactly as a helpdesk would send it.
    """
    from fastapi.testclient import TestClient

    from connectors.generic.connector import GenericSettings
    from connectors.signing import signed_headers
    from router.api.app import create_app
    from router.cli.promotion_view import modes_table
    from router.pipeline.services import Services
    from router.reports import build_report
    from router.rollout.evidence import mode_summary
    from router.settings import Settings
    from router.store import migrate
    from router.store.db import unit_of_work
    from router.worker.runner import drain

    try:
        rows = load_demo_tickets(tickets)[:limit]
    except (OSError, ValueError) as exc:
        fail(f"cannot read tickets: {exc}")
    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='deskroute-demo-')}/demo.db"
    env = Settings.load(database_url=url)  # the environment, read once; never rewritten
    secret = env.api.webhook_secret or secrets.token_urlsafe(24)
    err_console.print(f"store: {url}")  # status and progress go to stderr; data to stdout
    migrate.upgrade(url)
    _seed_kb(url)
    policy = env.models.policy or str(_demo_policy())
    err_console.print(f"policy: {policy}")
    settings = Settings.load(
        store=env.store, api=env.api.model_copy(update={"webhook_secret": secret}),
        models=env.models.model_copy(update={"policy": policy}),
        connectors={**env.connectors, "generic": GenericSettings(webhook_secret=secret)})
    services = Services.from_settings(settings)
    app = create_app(settings, embedded_worker=False)
    with TestClient(app) as client, Progress(console=err_console) as progress:
        send = progress.add_task("webhooks", total=len(rows))
        for row in rows:
            body = json.dumps(row).encode()
            resp = client.post("/webhooks/generic", content=body,
                               headers=signed_headers(secret, f"msg_{row['id']}", body))
            if resp.status_code != 202:
                fail(f"webhook refused ticket {row.get('id')}: {resp.status_code} {resp.text}")
            progress.advance(send)
        work = progress.add_task("pipeline tasks", total=len(rows) * 3)
        drain(services=services, url=url, on_task=lambda *_: progress.advance(work))
        progress.update(work, completed=progress.tasks[work].total)
    with unit_of_work(url) as session:
        report = build_report(session, settings=settings.reports, llm=settings.llm,
                              prices=settings.prices)
        modes = mode_summary(session)
    if json_out:
        emit_json({**report, "rollout": modes})
    else:
        for table in report_tables(report):
            console.print(table)
        console.print(modes_table(modes, "Rollout modes (README: Rolling out)"))


def _seed_kb(url: str) -> None:
    from router.kb.importers import ensure_default_kb
    from router.store.db import unit_of_work

    with unit_of_work(url) as session:
        ensure_default_kb(session)


#: what the demo's policy changes from the shipped one, so one run shows every mode
DEMO_MODES = {"password_reset": "auto", "shipping_time": "auto", "refund_status": "shadow"}


def _demo_policy() -> Path:
    """The shipped policy (every intent in ``assist``) with two intents promoted to ``auto``
    and one put in ``shadow``, written by the same code as ``deskroute policy promote``."""
    from policies.loader import DEFAULT_POLICY
    from router.domain import Mode
    from router.rollout.promote import promote

    path = Path(tempfile.mkdtemp(prefix="deskroute-demo-")) / "demo-policy.yaml"
    path.write_text(DEFAULT_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    for intent, mode in DEMO_MODES.items():
        promote(path, intent, Mode(mode))
    return path
