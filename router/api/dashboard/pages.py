"""Overview, ticket list (htmx search) and ticket drill-down pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from router.api.dashboard.render import chart_data, page, worst_intents
from router.api.deps import get_session
from router.api.schemas import RowId, RowOffset
from router.api.session_auth import require_page_admin, require_same_origin
from router.api.tickets import summary, ticket_filter, ticket_view
from router.domain import CSAT_SCALE, OutcomeKind
from router.store import ticket_queries as tq

router = APIRouter(dependencies=[Depends(require_page_admin)])
WINDOWS = {"24h": "last 24 hours", "7d": "last 7 days", "30d": "last 30 days",
           "90d": "last 90 days", "": "all time"}
PAGE = 50


@router.get("/dashboard", response_class=HTMLResponse)
def overview(request: Request, session: Annotated[Session, Depends(get_session)],
             since: str = "30d") -> HTMLResponse:
    from router.reports import build_report, make_window

    since = since if since in WINDOWS else "30d"
    s = request.app.state.settings
    report = build_report(session, make_window(since or None), by="day", settings=s.reports,
                          llm=s.llm, prices=s.prices)
    return page(request, "dashboard.html", {
        "r": report, "since": since, "windows": WINDOWS, "charts": chart_data(report),
        "worst": worst_intents(report), "nav": "overview"})


def _filters(request: Request) -> dict[str, str]:
    keys = ("state", "route", "intent", "channel", "q", "since")
    return {k: request.query_params.get(k, "").strip() for k in keys}


def _rows(request: Request, session: Session, offset: int) -> dict:
    f = _filters(request)
    flt = ticket_filter(f["state"], f["route"], f["intent"], f["channel"], f["q"],
                        f["since"], None)
    total, rows = tq.list_tickets(session, flt, limit=PAGE, offset=offset)
    return {"filters": f, "total": total, "items": [summary(r) for r in rows],
            "offset": offset, "page": PAGE}


@router.get("/dashboard/tickets", response_class=HTMLResponse)
def tickets(request: Request, session: Annotated[Session, Depends(get_session)],
            offset: RowOffset = 0) -> HTMLResponse:
    ctx = {**_rows(request, session, offset), "choices": tq.distinct_values(session),
           "nav": "tickets"}
    name = "_ticket_rows.html" if request.headers.get("hx-request") else "tickets.html"
    return page(request, name, ctx)


@router.get("/dashboard/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket(ticket_id: RowId, request: Request,
           session: Annotated[Session, Depends(get_session)]) -> HTMLResponse:
    view = ticket_view(session, ticket_id, request.app.state.settings.reports)
    return page(request, "ticket.html", {"t": view, "kinds": [k.value for k in OutcomeKind],
                                         "csat_scale": CSAT_SCALE, "nav": "tickets"})


@router.post("/dashboard/tickets/{ticket_id}/outcomes")
def add_outcome(ticket_id: RowId, request: Request,
                session: Annotated[Session, Depends(get_session)],
                kind: Annotated[str, Form()], value: Annotated[str, Form()] = "",
                note: Annotated[str, Form()] = "") -> Response:
    """The drill-down's form: an agent records what happened to the ticket."""
    from router.outcomes import OutcomeError, record_outcome

    require_same_origin(request)
    try:
        number = float(value) if value.strip() else None
        record_outcome(session, ticket_id, kind, number, note.strip() or None,
                       source="dashboard")
    except (OutcomeError, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    session.commit()
    return RedirectResponse(f"/dashboard/tickets/{ticket_id}", status_code=303)
