"""Long-running processes: serve, worker, relay."""

from __future__ import annotations

import os

import typer

from router.cli.output import console, err_console, fail
from router.settings import Settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, help="Port."),
    embedded_worker: bool = typer.Option(
        True, help="Without DESKROUTE_BROKER_URL, process tickets in this process."
    ),
    workers: int = typer.Option(
        1, min=1, max=64,
        help="API processes sharing the port (more webhooks per second; see "
             "docs/BENCHMARKS.md). More than one needs DESKROUTE_BROKER_URL: the work is "
             "then done by 'deskroute worker' processes."),
    access_log: bool = typer.Option(
        True, help="Log one line per HTTP request (--no-access-log saves CPU per webhook "
                   "under heavy load)."),
) -> None:
    """Run the HTTP API (webhooks, tickets, report). Without a broker it also does the work.

    Refuses to start (one line, exit 2) on a store that is not migrated (the embedded SQLite
    default is migrated automatically), a malformed policy or an invalid setting.
    """
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from router.api.app import create_app

    settings = Settings.load()  # read once, here, and handed to the app and its worker
    preflight(settings, policy=True)  # even without a worker here: a typo is caught now
    if workers > 1 and not settings.queue.broker_url:
        fail("--workers above 1 needs DESKROUTE_BROKER_URL (Redis) and 'deskroute worker' "
             "processes: the embedded worker runs in a single API process")
    if not settings.api.webhook_secret:
        err_console.print("[yellow]warning:[/] DESKROUTE_WEBHOOK_SECRET is not set: the "
                          "generic webhook refuses every request until it is")
    from router.logs import configure_logging

    fmt = configure_logging(default="text")
    # uvicorn's own loggers go through deskroute's JSON handler too
    log_config = None if fmt == "json" else LOGGING_CONFIG
    if workers > 1:  # each process builds its app from the same environment
        uvicorn.run("router.api.app:create_app", factory=True, workers=workers, host=host,
                    port=port, access_log=access_log, log_config=log_config)
        return
    app = create_app(settings, embedded_worker=embedded_worker)
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_config=log_config)


def preflight(settings: Settings, *, policy: bool) -> None:
    """What must hold before a long-running process starts: a valid policy (for the API and
    the workers), store at head, settings valid."""
    from router.cli.policy_cmds import require_valid_policy
    from router.store.migrate import ensure_ready

    if policy:
        require_valid_policy(settings.models.policy)
    ensure_ready(settings.store.database_url)


def worker(
    queues: str = typer.Option(
        "urgent,decide,deliver,slm,llm",
        help="Comma-separated queues. Give `urgent` (escalation notes) a worker that never runs "
             "model tasks, e.g. --queues urgent,decide,deliver, so notes never wait on a model."),
    concurrency: int = typer.Option(1, help="Worker processes (one model copy each)."),
    pool: str = typer.Option("prefork", help="Celery pool: prefork, solo or threads."),
    loglevel: str = typer.Option("INFO", help="Log level."),
) -> None:
    """Run a Celery worker on Redis (needs DESKROUTE_BROKER_URL), e.g. `--queues slm`."""
    from router.pipeline.workflow import QUEUES
    from router.worker.celery_app import make_celery

    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(QUEUES))
    if unknown:
        fail(f"unknown queue(s) {', '.join(unknown)}; known: {', '.join(QUEUES)}")
    if "deliver" in wanted and "urgent" not in wanted:
        # escalation notes have their own queue; a deployment started before it existed
        # (--queues decide,deliver) must still send them
        wanted.insert(0, "urgent")
        err_console.print("note: this worker takes the urgent queue (escalation notes) too, "
                          "as it takes deliver")
    settings = Settings.load()  # read once, here; each forked worker process gets a copy
    if not settings.queue.broker_url:
        fail("DESKROUTE_BROKER_URL is not set; without Redis use `deskroute serve`")
    preflight(settings, policy=True)
    from connectors.registry import Registry
    from router.pipeline.services import Services

    # helpdesk settings checked before the deliver queue takes work
    connectors = Registry(settings.connectors).build_all()
    app = make_celery(settings.queue.broker_url,
                      services=Services.from_settings(settings, connectors=connectors))
    app.worker_main(["worker", "-Q", ",".join(wanted), "--concurrency", str(concurrency),
                     "--pool", pool, "--loglevel", loglevel, "--without-gossip",
                     "--without-mingle",
                     # unique per process: several workers of one queue may share a machine
                     "-n", f"deskroute-{'-'.join(wanted)}-{os.getpid()}@%h"])


def relay(every: float = typer.Option(1.0, help="Seconds between passes.")) -> None:
    """Move committed outbox rows onto the broker (also re-sends stuck ones)."""
    from router.logs import configure_logging
    from router.worker.celery_app import make_celery
    from router.worker.dispatch import Relay

    settings = Settings.load()
    if not settings.queue.broker_url:
        fail("DESKROUTE_BROKER_URL is not set")
    preflight(settings, policy=False)
    configure_logging(default="text")
    app = make_celery(settings.queue.broker_url)
    console.print("relay running; Ctrl-C to stop")
    # the API's relay loop, in the foreground: a database or broker outage is logged and
    # retried with a back-off, never the end of the process
    Relay(app, every=every, url=settings.store.database_url, settings=settings.queue).run()
