"""Webhook intake: verify the raw body, insert-or-ignore, commit, enqueue, answer 202."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from connectors.base import PayloadError, SignatureError
from connectors.registry import get_connector
from router.api.deps import get_session
from router.store import repo

log = logging.getLogger(__name__)
router = APIRouter()


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail=f"body larger than {limit} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(status_code=413, detail=f"body larger than {limit} bytes")
    return body


@router.post("/webhooks/{source}", status_code=202)
async def receive(source: str, request: Request,
                  session: Session = Depends(get_session)) -> JSONResponse:
    try:
        connector = get_connector(source)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    body = await _read_body(request, request.app.state.api_settings.max_body_bytes)
    try:
        connector.verify(request.headers, body)
    except SignatureError as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from exc
    try:
        inbound = connector.parse(body)
    except PayloadError as exc:
        raise HTTPException(
            status_code=422, detail={"field": exc.field, "message": exc.message}
        ) from exc
    ticket, created = repo.insert_ticket(session, inbound)
    session.commit()
    if created:
        request.app.state.kick()
    return JSONResponse(
        status_code=202,
        content={"ticket_id": ticket.id, "duplicate": not created, "state": ticket.state},
    )
