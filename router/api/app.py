"""The FastAPI app. It stores and enqueues; it never loads a classifier, a model or a policy."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from connectors.registry import Registry
from router.api import kb, ops, tickets, webhooks
from router.api.deps import get_session
from router.settings import APISettings, QueueSettings, StoreSettings
from router.store.db import get_engine

log = logging.getLogger(__name__)


def create_app(*, database_url: str | None = None, embedded_worker: bool = True) -> FastAPI:
    """Build the app. Engines, relays and workers start in the lifespan, not at import."""
    url = database_url or StoreSettings().database_url
    queue = QueueSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from router.store.migrate import ensure_ready

        ensure_ready(url)  # an unmigrated store refuses to start (SQLite is migrated)
        app.state.sessions = sessionmaker(bind=get_engine(url), expire_on_commit=False)
        app.state.metrics = ops.metrics_source(app.state.sessions)
        background: Any = None
        kick: Callable[[], None] = lambda: None  # noqa: E731
        if queue.broker_url:
            from router.worker.celery_app import make_celery
            from router.worker.dispatch import Relay, enqueue_next

            celery = make_celery(queue.broker_url)
            background = Relay(celery, url=url)
            kick = lambda: enqueue_next(celery, url)  # noqa: E731
        elif embedded_worker:
            from router.worker.runner import EmbeddedWorker

            background = EmbeddedWorker(url=url)
        app.state.kick = kick
        if background is not None:
            background.start()
        if not app.state.api_settings.admin_token:
            log.warning("DESKROUTE_ADMIN_TOKEN is not set: ticket and report endpoints are open")
        yield
        if background is not None:
            background.stop()

    # /docs is served by router.api.ops with the vendored Swagger UI (no CDN)
    app = FastAPI(title="deskroute", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None)
    app.state.api_settings = APISettings()
    app.state.connectors = Registry().build_all()  # vendor settings read and checked here
    app.include_router(webhooks.router)
    app.include_router(tickets.router)
    app.include_router(kb.router)
    ops.install(app)

    @app.get("/healthz")
    def healthz(session: Session = Depends(get_session)) -> dict[str, str]:
        session.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app
