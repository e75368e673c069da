"""Support-ops endpoints: the report, Prometheus metrics, the dashboard and offline API docs.

``install`` wires them into the app: the dashboard's routes, its static files (vendored from
npm, served from the package), the redirect to the login form, and ``/docs`` rendered with the
vendored Swagger UI instead of FastAPI's CDN links (there is no internet where deskroute runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from router.api.deps import ADMIN_RESPONSES, get_session, invalid, require_admin
from router.api.report_schemas import Report
from router.api.session_auth import LoginRequired
from router.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter()


@router.get("/report", dependencies=[Depends(require_admin)], tags=["reports"],
            response_model=Report, responses=ADMIN_RESPONSES)
def report(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    since: Annotated[str | None, Query(max_length=40, description="7d, 24h or ISO")] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    by: Annotated[str | None, Query(max_length=16, description="intent, channel, route, "
                                    "day, week, policy or classifier")] = None,
) -> dict[str, Any]:
    """The support-ops report (docs/METRICS.md); the same figures as `deskroute report --json`."""
    from router.reports import build_report, make_window
    from router.reports.facts import SLICES

    if by is not None and by not in SLICES:
        raise invalid(("query", "by"), f"by: expected one of {', '.join(SLICES)}")
    try:
        window = make_window(since, until)
    except ValueError as exc:  # "yesterday", "99999999999d", since after until
        raise invalid(("query", "since"), str(exc)) from exc
    s: Settings = request.app.state.settings
    return build_report(session, window, by=by, settings=s.reports, llm=s.llm, prices=s.prices)


@router.get("/metrics", dependencies=[Depends(require_admin)], tags=["reports"],
            response_class=Response,
            responses={**ADMIN_RESPONSES, 200: {
                "content": {"text/plain": {"schema": {"type": "string"}}},
                "description": "Prometheus text exposition"}})
def metrics(request: Request) -> Response:
    """Prometheus metrics, read from the store (the same in every API process)."""
    from router.metrics import CONTENT_TYPE

    return Response(request.app.state.metrics(), media_type=CONTENT_TYPE)


@router.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json", title="deskroute API",
        swagger_js_url="/static/vendor/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui.css",
        swagger_favicon_url="/static/vendor/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from the internet
    )


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    from urllib.parse import quote

    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)


def install(app: FastAPI) -> None:
    from router.api.dashboard import router as dashboard

    app.include_router(router)
    app.include_router(dashboard)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(LoginRequired, _to_login)


def metrics_source(sessions: Any, settings: Settings) -> Any:
    """A callable returning the exposition bytes, with one cached collector per app."""
    from prometheus_client import CollectorRegistry, generate_latest

    from router.metrics import StoreCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(sessions, settings.metrics.metrics_cache_seconds,
                                     settings.prices))
    registry.register(BreakerCollector())
    return lambda: generate_latest(registry)


class BreakerCollector:
    """The model circuit breakers of this process (those of an embedded worker): 0 closed,
    1 open, 0.5 half-open, with the consecutive failures."""

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        from router.breakers import breaker_states

        state = GaugeMetricFamily("deskroute_breaker_open", "model circuit breaker: 0 closed, "
                                  "0.5 half-open, 1 open (this process)", labels=["backend"])
        fails = GaugeMetricFamily("deskroute_breaker_failures", "consecutive model failures "
                                  "or timeouts (this process)", labels=["backend"])
        level = {"closed": 0.0, "half_open": 0.5, "open": 1.0}
        for name, snap in breaker_states().items():
            state.add_metric([name], level[snap["state"]])
            fails.add_metric([name], float(snap["failures"]))
        yield state
        yield fails
