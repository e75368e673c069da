"""The Celery app: one queue per task kind, so SLM and LLM workers scale separately.

Created on demand from settings (never at import), tasks take ids, acks are late, and every
task is idempotent, so a redelivered message changes nothing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from celery import Celery, signals

from router.pipeline.workflow import Task, queue_of
from router.worker.dispatch import task_name

if TYPE_CHECKING:
    from router.pipeline.services import Services


@lru_cache(maxsize=4)
def _setup_logging(**_: Any) -> None:
    """Celery workers log through deskroute's handler (JSON with DESKROUTE_LOG_FORMAT=json,
    ticket ids on every task line) instead of hijacking the root logger."""
    from router.logs import configure_logging

    configure_logging(default="text")


signals.setup_logging.connect(_setup_logging, weak=False)


def make_celery(broker_url: str | None, services: Services | None = None) -> Celery:
    """The Celery app. ``services``: what a worker runs its tasks with, built from the
    settings its start read (each forked worker process loads its own models lazily); an
    app that only sends (the API's relay) needs none."""
    url = broker_url  # Settings.queue.broker_url, read at the edge
    if not url:
        raise RuntimeError("DESKROUTE_BROKER_URL is not set: Celery mode needs a broker")
    app = Celery("deskroute", broker=url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        task_routes={task_name(t.value): {"queue": queue_of(t)} for t in Task},
        broker_transport_options={"visibility_timeout": 3600},
    )
    for t in Task:
        _register(app, t.value, services)
    return app


def _register(app: Celery, task: str, services: Services | None) -> None:
    @app.task(name=task_name(task), bind=True)
    def run(self: Any, ticket_id: int, outbox_id: int | None = None) -> str | None:
        from router.pipeline.services import default_services
        from router.worker.dispatch import enqueue_next
        from router.worker.runner import execute

        used = services or default_services()  # what execute runs with, too
        next_task = execute(task, ticket_id, outbox_id, services=used)
        if next_task:
            enqueue_next(app, used.database_url, used.queue)
        return next_task
