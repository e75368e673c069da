"""Long-running processes (serve, worker, relay) and the report."""

from __future__ import annotations

import time

import typer

from router.cli.output import console, emit_json, fail, report_tables
from router.settings import QueueSettings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, help="Port."),
    embedded_worker: bool = typer.Option(
        True, help="Without DESKROUTE_BROKER_URL, process tickets in this process."
    ),
) -> None:
    """Run the HTTP API (webhooks, tickets, report). Without a broker it also does the work."""
    import uvicorn

    from router.api.app import create_app

    uvicorn.run(create_app(embedded_worker=embedded_worker), host=host, port=port)


def worker(
    queues: str = typer.Option("decide,slm,llm,deliver", help="Comma-separated queues."),
    concurrency: int = typer.Option(1, help="Worker processes (one model copy each)."),
    pool: str = typer.Option("prefork", help="Celery pool: prefork, solo or threads."),
    loglevel: str = typer.Option("INFO", help="Log level."),
) -> None:
    """Run a Celery worker on Redis (needs DESKROUTE_BROKER_URL), e.g. `--queues slm`."""
    from router.worker.celery_app import QUEUES, make_celery

    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(QUEUES))
    if unknown:
        fail(f"unknown queue(s) {', '.join(unknown)}; known: {', '.join(QUEUES)}")
    if not QueueSettings().broker_url:
        fail("DESKROUTE_BROKER_URL is not set; without Redis use `deskroute serve`")
    app = make_celery()
    app.worker_main(["worker", "-Q", ",".join(wanted), "--concurrency", str(concurrency),
                     "--pool", pool, "--loglevel", loglevel, "--without-gossip",
                     "--without-mingle", "-n", f"deskroute-{'-'.join(wanted)}@%h"])


def relay(every: float = typer.Option(1.0, help="Seconds between passes.")) -> None:
    """Move committed outbox rows onto the broker (also re-sends stuck ones)."""
    from router.worker.celery_app import make_celery
    from router.worker.dispatch import relay_once

    if not QueueSettings().broker_url:
        fail("DESKROUTE_BROKER_URL is not set")
    app = make_celery()
    console.print("relay running; Ctrl-C to stop")
    while True:
        relay_once(app)
        time.sleep(every)


def report(
    since: str | None = typer.Option(None, help="Window: 7d, 24h, 30m or an ISO date."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = typer.Option(None, help="Override DESKROUTE_DATABASE_URL."),
) -> None:
    """Deflection, routes, latency, tokens and cost per route, from the store."""
    from router.reports import build_report, parse_since
    from router.store.db import unit_of_work

    try:
        window = parse_since(since)
        with unit_of_work(database_url) as session:
            data = build_report(session, window)
    except ValueError as exc:
        fail(str(exc))
    except Exception as exc:  # no such table etc.
        fail(f"cannot read the store ({exc.__class__.__name__}); run `deskroute db upgrade`")
    if json_out:
        emit_json(data)
    else:
        for t in report_tables(data):
            console.print(t)
