"""The Celery app: one queue per task kind, so SLM and LLM workers scale separately.

Created on demand from settings (never at import), tasks take ids, acks are late, and every
task is idempotent, so a redelivered message changes nothing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from celery import Celery, signals

from router.settings import QueueSettings

QUEUES = ("decide", "slm", "llm", "deliver")  # the pipeline's STEPS, one queue each


def task_name(task: str) -> str:
    return f"deskroute.{task}"


@lru_cache(maxsize=4)
def _setup_logging(**_: Any) -> None:
    """Celery workers log through deskroute's handler (JSON with DESKROUTE_LOG_FORMAT=json,
    ticket ids on every task line) instead of hijacking the root logger."""
    from router.logs import configure_logging

    configure_logging(default="text")


signals.setup_logging.connect(_setup_logging, weak=False)


def make_celery(broker_url: str | None = None) -> Celery:
    url = broker_url or QueueSettings().broker_url
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
        task_routes={task_name(t): {"queue": t} for t in QUEUES},
        broker_transport_options={"visibility_timeout": 3600},
    )
    for t in QUEUES:
        _register(app, t)
    return app


def _register(app: Celery, task: str) -> None:
    @app.task(name=task_name(task), bind=True)
    def run(self: Any, ticket_id: int, outbox_id: int | None = None) -> str | None:
        from router.worker.dispatch import enqueue_next
        from router.worker.runner import execute

        next_task = execute(task, ticket_id, outbox_id)
        if next_task:
            enqueue_next(app)
        return next_task


def send(app: Celery, task: str, ticket_id: int, outbox_id: int) -> None:
    app.send_task(task_name(task), args=[ticket_id, outbox_id], queue=task)
