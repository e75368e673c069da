"""The FastAPI app. It stores and enqueues; it never loads a classifier, a model or a policy."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from connectors.registry import Registry
from router.api import (
    callbacks,
    email_inbound,
    health,
    kb,
    logs,
    ops,
    slack,
    tickets,
    webhooks,
)
from router.api.middleware import RefuseNulInUrl
from router.api.schemas import ErrorOut
from router.breakers import breaker_states
from router.settings import Settings
from router.store.db import get_engine

log = logging.getLogger(__name__)
_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorOut, "description": "the store is unreachable; retry later"},
}


def create_app(settings: Settings | None = None, *, database_url: str | None = None,
               embedded_worker: bool = True) -> FastAPI:
    """Build the app. Engines, relays and workers start in the lifespan, not at import.

    Settings are read here (or handed in), once, so a weak or placeholder secret stops
    start-up (naming the variable) instead of weakening every request; the embedded worker
    gets the same settings, so ``database_url`` is the store it works on too.
    """
    settings = settings or Settings.load(database_url=database_url)
    if database_url and database_url != settings.store.database_url:
        raise ValueError("database_url disagrees with settings.store.database_url")
    url = settings.store.database_url
    queue = settings.queue
    api_settings = settings.api
    connectors = Registry(settings.connectors).build_all()  # vendor settings checked here
    logs.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from router.store.migrate import ensure_ready

        ensure_ready(url)  # an unmigrated store refuses to start (SQLite is migrated)
        logs.install()  # again: the server may have configured logging since create_app
        app.state.sessions = sessionmaker(bind=get_engine(url), expire_on_commit=False)
        # webhooks store on at most as many threads as the pool has connections
        app.state.store_limiter = anyio.CapacityLimiter(settings.store.db_pool_size)
        app.state.webhook_batcher = webhooks.webhook_batcher(app.state)
        app.state.metrics = ops.metrics_source(app.state.sessions, settings)
        background: Any = None
        if queue.broker_url:
            from router.worker.celery_app import make_celery
            from router.worker.dispatch import Relay

            background = Relay(make_celery(queue.broker_url), url=url, settings=queue)
        elif embedded_worker:
            from router.pipeline.services import Services
            from router.worker.runner import EmbeddedWorker

            background = EmbeddedWorker(
                url=url, services=Services.from_settings(settings, connectors=connectors))
        # The request path only wakes the relay or worker thread; it never runs a relay pass.
        kick: Callable[[], None] = background.wake if background is not None else _nothing
        app.state.kick = kick
        if background is not None:
            background.start()
        if not api_settings.admin_token:
            log.warning("DESKROUTE_ADMIN_TOKEN is not set: ticket and report endpoints are open")
        yield
        if background is not None:
            background.stop()

    # /docs is served by router.api.ops with the vendored Swagger UI (no CDN)
    app = FastAPI(title="deskroute", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None, responses=_UNAVAILABLE)
    app.add_middleware(RefuseNulInUrl)
    app.state.api_settings = api_settings
    app.state.settings = settings  # what request handlers read (the report's costs...)
    app.state.broker_url = queue.broker_url
    app.state.breakers = breaker_states  # the embedded worker's, when it runs here
    app.state.kick = _nothing
    app.state.connectors = connectors
    app.state.purged_at = float("-inf")  # expired webhook-ids last deleted (monotonic)
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(slack.router)
    app.include_router(email_inbound.router)
    app.include_router(tickets.router)
    app.include_router(kb.router)
    ops.install(app)
    callbacks.install(app)  # the webhooks deskroute sends (OpenAPI `webhooks`)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's 422 without echoing the input: it may be NaN (which JSON cannot carry: a
        500 while rendering the 422) or megabytes long."""
        errors = [{"type": e.get("type", "value_error"), "loc": list(e.get("loc", ())),
                   "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(OperationalError)
    async def store_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("store unavailable on %s %s: %s", request.method, request.url.path,
                  exc.__class__.__name__)
        return JSONResponse(status_code=503,
                            headers={"Retry-After": str(api_settings.retry_after_seconds)},
                            content={"detail": "the store is unavailable; retry later"})

    return app


def _nothing() -> None:
    return None
