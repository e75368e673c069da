"""The knowledge base for support leads: list, read, edit and retire approved answers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session

from router.api.deps import ADMIN_RESPONSES, get_session, invalid, require_admin
from router.api.schemas import ErrorOut, RowId, RowOffset, StoredText
from router.api.ticket_schemas import KBEntryOut, KBEntryPatch, KBPage
from router.kb import manage
from router.store.models import KBEntry

router = APIRouter(dependencies=[Depends(require_admin)], tags=["knowledge base"],
                   responses=ADMIN_RESPONSES)
_404: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such entry"}}


def entry_out(e: KBEntry) -> KBEntryOut:
    return KBEntryOut(id=e.id, kb=e.kb, source=e.source, ref=e.ref, title=e.title,
                      question=e.question, answer=e.answer, intent=e.intent,
                      category=e.category, created_at=e.created_at, updated_at=e.updated_at,
                      retired_at=e.retired_at)


def _get(session: Session, entry_id: int) -> KBEntry:
    try:
        return manage.get_entry(session, entry_id)
    except manage.KBEntryError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.get("/kb", response_model=KBPage)
def list_entries(
    session: Annotated[Session, Depends(get_session)],
    q: Annotated[StoredText | None, Query(max_length=200)] = None,
    intent: Annotated[StoredText | None, Query(max_length=128)] = None,
    kb: Annotated[StoredText | None, Query(max_length=64)] = None,
    include_retired: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: RowOffset = 0,
) -> KBPage:
    flt = manage.KBFilter(q=q, intent=intent or None, kb=kb or None,
                          include_retired=include_retired)
    total, rows = manage.list_entries(session, flt, limit=limit, offset=offset)
    return KBPage(total=total, limit=limit, offset=offset, items=[entry_out(e) for e in rows])


@router.get("/kb/{entry_id}", response_model=KBEntryOut, responses=_404)
def get_entry(entry_id: RowId, session: Annotated[Session, Depends(get_session)]) -> KBEntryOut:
    return entry_out(_get(session, entry_id))


@router.patch("/kb/{entry_id}", response_model=KBEntryOut, responses=_404)
def update_entry(entry_id: RowId, patch: KBEntryPatch,
                 session: Annotated[Session, Depends(get_session)]) -> KBEntryOut:
    """Edit an approved answer; workers pick the change up at their next KB refresh."""
    _get(session, entry_id)
    try:
        row = manage.update_entry(session, entry_id, **patch.model_dump(exclude_none=True))
    except manage.KBEntryError as exc:
        raise invalid(("body",), str(exc)) from exc
    session.commit()
    return entry_out(row)


@router.post("/kb/{entry_id}/retire", response_model=KBEntryOut, responses=_404)
def retire_entry(entry_id: RowId, session: Annotated[Session, Depends(get_session)]
                 ) -> KBEntryOut:
    """Stop using an approved answer (kept for the tickets that were answered with it)."""
    _get(session, entry_id)
    row = manage.retire_entry(session, entry_id)
    session.commit()
    return entry_out(row)


@router.post("/kb/{entry_id}/restore", response_model=KBEntryOut, responses=_404)
def restore_entry(entry_id: RowId, session: Annotated[Session, Depends(get_session)]
                  ) -> KBEntryOut:
    _get(session, entry_id)
    row = manage.retire_entry(session, entry_id, retired=False)
    session.commit()
    return entry_out(row)
