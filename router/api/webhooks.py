"""Webhook intake: verify the raw body, insert-or-ignore, commit, enqueue, answer 202.

A connector says what an event is (``connectors.base.Inbound``): a new ticket or a follow-up
is stored the same way (the store links follow-ups by ``thread_id``); an ignored event is
answered 200 with the reason and stores nothing.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from connectors.base import Ignored, PayloadError, SignatureError, UpstreamError
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
        connector = request.app.state.connectors.get(source)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    body = await _read_body(request, request.app.state.api_settings.max_body_bytes)
    try:
        connector.verify(request.headers, body)
    except SignatureError as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from exc
    try:
        event = connector.parse(request.headers, body)
    except PayloadError as exc:
        raise HTTPException(
            status_code=422, detail={"field": exc.field, "message": exc.message}
        ) from exc
    except UpstreamError as exc:  # the vendor redelivers; nothing stored meanwhile
        log.warning("%s webhook deferred: %s", source, exc)
        retry = str(int(exc.retry_after)) if exc.retry_after else "30"
        return JSONResponse(status_code=503, headers={"Retry-After": retry},
                            content={"detail": f"vendor API unavailable: {exc}"})
    if isinstance(event, Ignored):
        return JSONResponse(status_code=200, content={
            "ignored": True, "reason": event.reason, "event": event.event,
        })
    ticket, created = repo.insert_ticket(session, event.ticket)
    session.commit()
    if created:
        request.app.state.kick()
    return JSONResponse(
        status_code=202,
        content={"ticket_id": ticket.id, "duplicate": not created, "state": ticket.state,
                 "kind": event.kind, "thread_id": ticket.thread_id},
    )
