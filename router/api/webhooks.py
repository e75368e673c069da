"""Webhook intake: verify the raw body, insert-or-ignore, commit, wake the relay, answer 202.

A connector says what an event is (``connectors.base.Inbound``): a new ticket or a follow-up
is stored the same way (the store links follow-ups by ``thread_id``); an ignored event is
answered 200 with the reason and stores nothing. Every ticket passes the one validation
layer (``router.intake``) before the store sees it, and a sender's ``webhook-id`` is kept
for the replay window.

The event loop only reads the body (bounded); verification, parsing and the SQL run in the
thread pool, and the relay or embedded worker is woken, not run, on the request path.
Webhooks that arrive while the previous ones are being stored are verified, parsed and
stored together (``router.api.batching``): one thread hand-off, one transaction and one
commit for the lot, which is what lets two cores acknowledge 500 webhooks a second. A
connector whose parse calls its vendor's API parses on a thread of its own first.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar, cast

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
    Inbound,
    PayloadError,
    SignatureError,
    UpstreamError,
)
from connectors.generic.connector import GenericTicket
from router.api.batching import Batcher
from router.api.schemas import (
    ErrorOut,
    PayloadErrorOut,
    WebhookAccepted,
    WebhookIgnored,
    inline_schema,
)
from router.domain import InboundTicket
from router.intake import prepare_ticket
from router.store import repo
from router.store.models import utcnow
from router.store.replay import Message, find_message, purge_messages, record_messages

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


@dataclass(frozen=True)
class Delivery:
    """One webhook as received, and what it is once verified and parsed (``None``: not yet;
    the batch parses it)."""

    source: str
    connector: Connector
    headers: Any
    body: bytes
    parsed: Parsed | None = None


@dataclass(frozen=True)
class Parsed:
    """An authentic webhook that needs the store: a ticket or follow-up (``inbound``), or an
    agent's reply or a helpdesk outcome (``event``)."""

    source: str
    message_id: str | None
    digest: str  # of the raw body, for the webhook-id replay check
    event: Inbound
    inbound: InboundTicket | None


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
    delivery = Delivery(source, connector, request.headers, body)
    deadline = time.monotonic() + settings.webhook_timeout_seconds
    try:
        if not connector.parse_is_local:  # a vendor API call: on a thread of its own
            parsed = await store_within(settings.webhook_timeout_seconds,
                                        request.app.state.store_limiter, verify_and_parse,
                                        delivery)
            if isinstance(parsed, Accepted):
                return _answer(parsed)
            delivery = replace(delivery, parsed=parsed)
        accepted = await request.app.state.webhook_batcher.submit(
            delivery, max(0.0, deadline - time.monotonic()))
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
    return _answer(accepted)


def _answer(accepted: Accepted) -> Any:
    if accepted.answer is not None:  # a handshake (Slack's url_verification): echo it
        return JSONResponse(status_code=200, content=accepted.answer)
    if isinstance(accepted.response, WebhookIgnored):
        return JSONResponse(status_code=200, content=accepted.response.model_dump())
    return accepted.response


def webhook_batcher(state: Any) -> Batcher[Delivery, Accepted]:
    """The app's batcher for :func:`accept` (built in the lifespan, with the store)."""
    return Batcher(partial(accept, state), limiter=state.store_limiter,
                   seconds=state.api_settings.webhook_timeout_seconds)


async def store_within(seconds: float, limiter: anyio.CapacityLimiter,
                       func: Callable[..., T], *args: Any) -> T:
    """Run ``func`` in a worker thread (at most ``limiter``'s tokens at once), giving up after
    ``seconds``, the wait for a token included (``TimeoutError``).

    A hung store (a frozen database holds a pooled connection forever, whatever the
    timeouts) or vendor API must not hold the request past the sender's own timeout: the
    caller answers 503 and the sender retries. The abandoned thread may still commit later;
    the retry then meets its ticket (insert-or-ignore) and is answered as a duplicate: never
    two rows, and never a 2xx for a row that was not stored.
    """
    with anyio.fail_after(seconds):
        return await anyio.to_thread.run_sync(partial(func, *args), abandon_on_cancel=True,
                                              limiter=limiter)


def verify_and_parse(delivery: Delivery) -> Parsed | Accepted:
    """Verify, parse and validate (no store needed): what the webhook is, or the answer
    itself for one that needs no store (a handshake, an ignored event)."""
    connector, headers, body = delivery.connector, delivery.headers, delivery.body
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
        raise _unprocessable(exc) from exc
    return Parsed(delivery.source, message_id, hashlib.sha256(body).hexdigest(), event, inbound)


def accept(state: Any, deliveries: list[Delivery]) -> list[Accepted | Exception]:
    """Answer webhooks that arrived together, in order: each one's answer, or the exception
    that answers it (401, 409, 422, the store down...).

    The tickets among them are stored, de-duplicated (ticket id and webhook-id) and committed
    in one short transaction; should that fail, each is stored on its own, so one webhook's
    fault is never another's. An agent's reply or a helpdesk outcome gets its own.
    """
    answers: list[Accepted | Exception | None] = [None] * len(deliveries)
    tickets: dict[int, Parsed] = {}  # by position
    for i, delivery in enumerate(deliveries):
        try:
            parsed = delivery.parsed or verify_and_parse(delivery)
            if isinstance(parsed, Accepted):
                answers[i] = parsed
            elif parsed.inbound is None:
                answers[i] = _record_event(state, parsed)
            else:
                tickets[i] = parsed
        except Exception as exc:  # noqa: BLE001 - this webhook's answer (401, 422, 503...)
            answers[i] = exc
    if tickets:
        stored = _store_tickets(state, list(tickets.values()))
        for i, answer in zip(tickets, stored, strict=True):
            answers[i] = answer
    assert all(answer is not None for answer in answers)
    return cast(list[Accepted | Exception], answers)


def _store_tickets(state: Any, tickets: list[Parsed]) -> list[Accepted | Exception]:
    try:
        return list(_store_together(state, tickets))
    except Exception as exc:  # noqa: BLE001 - each webhook then gets its own answer
        if len(tickets) == 1:
            return [exc]
        log.debug("storing %d webhooks together failed (%s): one by one", len(tickets), exc)
        return [answer for ticket in tickets for answer in _store_tickets(state, [ticket])]


def _store_together(state: Any, tickets: list[Parsed]) -> list[Accepted]:
    session = state.sessions()
    try:
        # A repeated webhook-id with the same body meets its own ticket (insert-or-ignore):
        # the same answer as the first time, with duplicate: true.
        stored = repo.store_tickets(session, [cast(InboundTicket, parsed.inbound)
                                              for parsed in tickets])
        signed = [Message(parsed.source, parsed.message_id, parsed.digest, row.id)
                  for parsed, row in zip(tickets, stored, strict=True) if parsed.message_id]
        if signed:
            firsts = record_messages(session, signed)
            if any(first != msg.body_sha256 for msg, first in zip(signed, firsts, strict=True)):
                session.rollback()  # nothing of these requests is stored; if several,
                raise _reuse_error()  # each is stored on its own: only the reused id refused
            _purge_expired(state, session)
        session.commit()
    finally:
        session.close()
    return [Accepted(WebhookAccepted(ticket_id=row.id, duplicate=not row.created,
                                     state=row.state, kind=parsed.event.kind,
                                     thread_id=row.thread_id), created=row.created)
            for parsed, row in zip(tickets, stored, strict=True)]


def _record_event(state: Any, parsed: Parsed) -> Accepted:
    """An agent's reply or a helpdesk outcome, in a transaction of its own."""
    session = state.sessions()
    try:
        event, source = parsed.event, parsed.source
        seen = find_message(session, source, parsed.message_id) if parsed.message_id else None
        if seen is not None and seen.body_sha256 != parsed.digest:
            raise _reuse_error()
        if isinstance(event, AgentReply):
            return _agent_reply(session, source, event)
        assert isinstance(event, ChannelOutcome)
        return _channel_outcome(session, source, event)
    except PayloadError as exc:
        raise _unprocessable(exc) from exc
    finally:
        session.close()


def _unprocessable(exc: PayloadError) -> HTTPException:
    return HTTPException(status_code=422, detail={"field": exc.field, "message": exc.message})


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


def _reuse_error() -> HTTPException:
    """409: the webhook-id was already used for another body."""
    return HTTPException(status_code=409, detail=(
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
