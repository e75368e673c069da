"""The knowledge base page: search, edit in place (htmx), retire and restore."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from router.api.dashboard.render import page
from router.api.deps import get_session
from router.api.schemas import RowId
from router.api.session_auth import require_page_admin, require_same_origin
from router.kb import manage

router = APIRouter(dependencies=[Depends(require_page_admin)])


def _entry(session: Session, entry_id: int):  # type: ignore[no-untyped-def]
    try:
        return manage.get_entry(session, entry_id)
    except manage.KBEntryError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.get("/dashboard/kb", response_class=HTMLResponse)
def kb_list(request: Request, session: Annotated[Session, Depends(get_session)],
            q: str = "", retired: bool = False) -> HTMLResponse:
    total, rows = manage.list_entries(session, manage.KBFilter(q=q, include_retired=retired),
                                      limit=200)
    name = "_kb_rows.html" if request.headers.get("hx-request") else "kb.html"
    return page(request, name, {"entries": rows, "total": total, "q": q, "retired": retired,
                                "nav": "kb"})


@router.get("/dashboard/kb/{entry_id}/edit", response_class=HTMLResponse)
def kb_edit_form(entry_id: RowId, request: Request,
                 session: Annotated[Session, Depends(get_session)]) -> HTMLResponse:
    return page(request, "_kb_form.html", {"e": _entry(session, entry_id)})


@router.get("/dashboard/kb/{entry_id}", response_class=HTMLResponse)
def kb_row(entry_id: RowId, request: Request,
           session: Annotated[Session, Depends(get_session)]) -> HTMLResponse:
    return page(request, "_kb_row.html", {"e": _entry(session, entry_id)})


@router.post("/dashboard/kb/{entry_id}", response_class=HTMLResponse)
def kb_save(entry_id: RowId, request: Request,
            session: Annotated[Session, Depends(get_session)],
            question: Annotated[str, Form()], answer: Annotated[str, Form()],
            intent: Annotated[str, Form()] = "") -> HTMLResponse:
    require_same_origin(request)
    _entry(session, entry_id)
    try:
        row = manage.update_entry(session, entry_id, question=question, answer=answer,
                                  intent=intent)
    except manage.KBEntryError as exc:
        return page(request, "_kb_form.html", {"e": _entry(session, entry_id),
                                               "error": str(exc)}, status=422)
    session.commit()
    return page(request, "_kb_row.html", {"e": row})


@router.post("/dashboard/kb/{entry_id}/retire", response_class=HTMLResponse)
def kb_retire(entry_id: RowId, request: Request,
              session: Annotated[Session, Depends(get_session)],
              restore: Annotated[str, Form()] = "") -> HTMLResponse:
    require_same_origin(request)
    _entry(session, entry_id)
    row = manage.retire_entry(session, entry_id, retired=not restore)
    session.commit()
    return page(request, "_kb_row.html", {"e": row})
