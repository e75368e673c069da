"""Webhook intake: verify the raw body, insert-or-ignore, commit, wake the relay, answer 202.

A connector says what an event is (``connectors.base.Inbound``): a new ticket or a follow-up
is stored the same way (the store links follow-ups by ``thread_id``); an ignored event is
answered 200 with the reason and stores nothing. Every ticket passes the one validation
layer (``router.intake``) before the store sees it, and a sender's ``webhook-id`` is kept
for the replay window.

The event loop only reads the body (bounded); verification, parsing and the SQL run in the
thread pool, and the relay or embedded worker is woken, not run, on the request path.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from connectors.base import (
    AgentReply,
    ChannelOutcome,
    Connector,
    Handshake,
    Ignored,
    PayloadError,
    SignatureError,
    UpstreamError,
)
from connectors.generic.connector import GenericTicket
from router.api.schemas import (
    ErrorOut,
    PayloadErrorOut,
    WebhookAccepted,
    WebhookIgnored,
    inline_schema,
)
from router.intake import prepare_ticket
from router.store import repo
from router.store.models import utcnow
from router.store.replay import find_message, purge_messages, record_message

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])
T = TypeVar("T")
PURGE_EVERY = 10.0  # seconds between deletions of expired webhook-ids, per process

_SIGNATURE_HEADERS = [
    {"name": "webhook-id", "in": "header", "required": False,
     "schema": {"type": "string", "maxLength": 255},
     "description": "generic source: Standard Webhooks message id (other sources sign with "
                    "their vendor's own headers)"},
    {"name": "webhook-timestamp", "in": "header", "required": False,
     "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
     "description": "generic source: Unix seconds; ±DESKROUTE_REPLAY_WINDOW_SECONDS accepted"},
    {"name": "webhook-signature", "in": "header", "required": False,
     "schema": {"type": "string"}, "description": "generic source: `v1,<base64 HMAC-SHA256>`"},
]
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": WebhookIgnored, "description": "authentic event deskroute does not act on"},
    401: {"model": ErrorOut, "description": "unsigned, forged, malformed or stale signature"},
    404: {"model": ErrorOut, "description": "no connector of that name"},
    409: {"model": ErrorOut, "description": "webhook-id already used for a different body"},
    413: {"model": ErrorOut, "description": "body over DESKROUTE_MAX_BODY_BYTES"},
    422: {"model": PayloadErrorOut, "description": "malformed payload, naming the field"},
    503: {"model": ErrorOut, "description": "the store, or a vendor API the parse needed, is "
                                            "down or slow; retry after `Retry-After` seconds"},
}


@dataclass(frozen=True)
class Accepted:
    response: WebhookAccepted | WebhookIgnored
    created: bool
    answer: dict[str, Any] | None = None  # a Handshake's own answer, sent as is


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail=f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413, detail=f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/webhooks/{source}", status_code=202, response_model=WebhookAccepted,
    responses=RESPONSES,
    openapi_extra={
        "parameters": _SIGNATURE_HEADERS,
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": inline_schema(GenericTicket),
        }}},
    },
)
async def receive(source: str, request: Request) -> Any:
    """A ticket from a channel: `generic` (Standard Webhooks-signed JSON, see README),
    `zendesk`, `freshdesk`, `intercom`, `helpscout` (each in its vendor's own format)."""
    try:
        connector = request.app.state.connectors.get(source)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=str(exc.args[0])) from exc
    settings = request.app.state.api_settings
    # a connector whose sender posts attachments inline (e-mail) may allow larger bodies
    body = await _read_body(request, getattr(connector, "max_body_bytes", None)
                            or settings.max_body_bytes)
    try:
        accepted = await store_within(settings.webhook_timeout_seconds,
                                      request.app.state.store_limiter, accept,
                                      request.app.state, source, connector, request.headers, body)
    except UpstreamError as exc:  # the vendor redelivers; nothing stored meanwhile
        log.warning("%s webhook deferred: %s", source, exc)
        retry = str(int(exc.retry_after)) if exc.retry_after else "30"
        return JSONResponse(status_code=503, headers={"Retry-After": retry},
                            content={"detail": f"vendor API unavailable: {exc}"})
    except TimeoutError:
        log.error("%s webhook not stored within %.0f s (store hung?): answered 503", source,
                  settings.webhook_timeout_seconds)
        return JSONResponse(status_code=503,
                            headers={"Retry-After": str(settings.retry_after_seconds)},
                            content={"detail": "the store did not answer in time; retry later"})
    if accepted.created:
        request.app.state.kick()
    if accepted.answer is not None:  # a handshake (Slack's url_verification): echo it
        return JSONResponse(status_code=200, content=accepted.answer)
    if isinstance(accepted.response, WebhookIgnored):
        return JSONResponse(status_code=200, content=accepted.response.model_dump())
    return accepted.response


async def store_within(seconds: float, limiter: anyio.CapacityLimiter,
                       func: Callable[..., T], *args: Any) -> T:
    """Run ``func`` in a worker thread (at most ``limiter``'s tokens at once), giving up after
    ``seconds``, the wait for a token included (``TimeoutError``).

    A hung store (a frozen database holds a pooled connection forever, whatever the
    timeouts) must not hold the request past the sender's own timeout: the caller answers
    503 and the sender retries. The abandoned thread may still commit later; the retry then
    meets its ticket (insert-or-ignore) and is answered as a duplicate: never two rows, and
    never a 2xx for a row that was not stored.
    """
    with anyio.fail_after(seconds):
        return await anyio.to_thread.run_sync(partial(func, *args), abandon_on_cancel=True,
                                              limiter=limiter)


def accept(state: Any, source: str, connector: Connector, headers: Any,
           body: bytes) -> Accepted:
    """Verify, parse and validate (no store needed), then store, de-duplicate (ticket id and
    webhook-id) and commit in one short transaction."""
    try:
        message_id = connector.verify(headers, body)
    except SignatureError as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from exc
    try:
        event = connector.parse(headers, body)
        if isinstance(event, Handshake):
            return Accepted(WebhookIgnored(reason="handshake", event=event.kind), False,
                            answer=event.answer)
        if isinstance(event, Ignored):
            return Accepted(WebhookIgnored(reason=event.reason, event=event.event), False)
        inbound = None if isinstance(event, AgentReply | ChannelOutcome) else prepare_ticket(
            event.ticket, getattr(connector, "payload_fields", None))  # a new ticket or follow-up
    except PayloadError as exc:
        raise HTTPException(
            status_code=422, detail={"field": exc.field, "message": exc.message}
        ) from exc
    digest = hashlib.sha256(body).hexdigest()
    session = state.sessions()
    try:
        if isinstance(event, AgentReply | ChannelOutcome):
            seen = find_message(session, source, message_id) if message_id else None
            _refuse_reuse(seen.body_sha256 if seen is not None else None, digest)
            if isinstance(event, AgentReply):
                return _agent_reply(session, source, event)
            return _channel_outcome(session, source, event)
        assert inbound is not None
        # A repeated webhook-id with the same body meets its own ticket (insert-or-ignore):
        # the same answer as the first time, with duplicate: true.
        ticket = repo.store_ticket(session, inbound)
        if message_id:
            first = record_message(session, source, message_id, digest, ticket.id)
            if first != digest:
                session.rollback()  # nothing of this request is stored
                _refuse_reuse(first, digest)
            _purge_expired(state, session)
        session.commit()
        return Accepted(WebhookAccepted(ticket_id=ticket.id, duplicate=not ticket.created,
                                        state=ticket.state, kind=event.kind,
                                        thread_id=ticket.thread_id), created=ticket.created)
    finally:
        session.close()


def _purge_expired(state: Any, session: Any) -> None:
    """Forget webhook-ids past twice the replay window (their timestamps are refused anyway),
    at most every ``PURGE_EVERY`` seconds per process: a DELETE per request cost a round trip
    per request for nothing."""
    now = time.monotonic()
    if now - state.purged_at < PURGE_EVERY:
        return
    state.purged_at = now
    window = state.api_settings.replay_window_seconds
    purge_messages(session, utcnow() - timedelta(seconds=2 * window))


def _refuse_reuse(stored: str | None, digest: str) -> None:
    """409 when the webhook-id was already used for another body (``stored``: its digest)."""
    if stored is not None and stored != digest:
        raise HTTPException(status_code=409, detail=(
            "webhook-id was already used for a different body; "
            "send a new webhook-id for a new message"))


def _agent_reply(session: Any, source: str, event: AgentReply) -> Accepted:
    """An agent answered the customer: stored on the conversation's newest ticket and queued
    for comparison with deskroute's draft (router/rollout/judging.py)."""
    from router.outcomes import record_thread_reply

    found = record_thread_reply(session, source, event.thread_id, event.text, event.event_id)
    if found is None:
        return Accepted(WebhookIgnored(reason="agent reply on a conversation deskroute has "
                                       "no ticket for", event=event.kind), False)
    ticket, new = found
    session.commit()
    return Accepted(WebhookAccepted(ticket_id=ticket.id, duplicate=not new, state=ticket.state,
                                    kind=event.kind, thread_id=ticket.thread_id), created=new)


def _channel_outcome(session: Any, source: str, event: ChannelOutcome) -> Accepted:
    """The helpdesk reported what became of a conversation (solved, reopened, a rating):
    recorded on its newest ticket through router.outcomes, once per vendor event id."""
    from router.outcomes import OutcomeError, record_thread_outcome

    try:
        done = record_thread_outcome(session, source, event.thread_id, event.outcome,
                                     event.event_id, event.value,
                                     status_only=event.status_only)
    except OutcomeError as exc:  # a value off the scale: the connector's mapping is wrong
        raise PayloadError("outcome", str(exc)) from exc
    if done.ticket is None or done.skipped:
        return Accepted(WebhookIgnored(reason=done.skipped or "", event=event.kind), False)
    session.commit()
    ticket = done.ticket
    return Accepted(WebhookAccepted(ticket_id=ticket.id, duplicate=not done.new,
                                    state=ticket.state, kind=event.kind,
                                    thread_id=ticket.thread_id), created=done.new)
