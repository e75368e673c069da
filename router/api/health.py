"""Liveness and readiness, kept apart.

``/healthz`` answers whenever the process can serve a request: it touches no store, so a
database outage never makes an orchestrator restart healthy API processes (which would only
add a restart storm to the outage). ``/readyz`` says whether this process can do its job now
(the store answers; the broker too when one is configured): 503 with ``Retry-After`` when not,
so a load balancer stops sending traffic until it is back.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from router.api.schemas import Health, Ready

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops"])
CHECK_SECONDS = 3.0


@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> Health:
    """Liveness: the process answers (no store access). ``breakers`` shows the model circuit
    breakers of this process (embedded worker) when it runs any."""
    source = getattr(request.app.state, "breakers", None)
    return Health(status="ok", breakers=source() if source is not None else {})


@router.get("/readyz", response_model=Ready, responses={503: {
    "model": Ready, "description": "the store or the broker does not answer; retry later"}})
async def readyz(request: Request) -> Any:
    """Readiness: the store answers a query and, with a broker configured, the broker a ping."""
    state = request.app.state
    checks = {"database": await _check(_database, state.sessions)}
    broker = getattr(state, "broker_url", None)
    checks["broker"] = await _check(_broker, broker) if broker else "not configured"
    ready = all(v in ("ok", "not configured") for v in checks.values())
    body = Ready(status="ready" if ready else "unavailable", checks=checks)
    if ready:
        return body
    return JSONResponse(status_code=503, content=body.model_dump(),
                        headers={"Retry-After": str(state.api_settings.retry_after_seconds)})


async def _check(probe: Any, target: Any) -> str:
    try:
        with anyio.fail_after(CHECK_SECONDS):
            await anyio.to_thread.run_sync(probe, target, abandon_on_cancel=True)
    except TimeoutError:
        return f"error: no answer within {CHECK_SECONDS:.0f} s"
    except Exception as exc:  # any failure means "not ready"; the log has the details
        log.warning("readiness check failed: %s: %s", type(exc).__name__, exc)
        return f"error: {type(exc).__name__}"
    return "ok"


def _database(sessions: Any) -> None:
    session = sessions()
    try:
        session.execute(text("SELECT 1"))
    finally:
        session.close()


def _broker(url: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=CHECK_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_SECONDS)
        conn.default_channel  # noqa: B018 - opening the channel talks to the broker
