"""The webhooks deskroute sends, documented in the OpenAPI schema (its ``webhooks`` section):
the generic connector's callback to ``DESKROUTE_CALLBACK_URL``, one signed JSON body per
ticket and event (``connectors.generic.connector.GenericCallback``, which builds every body
sent, so the schema is what receivers get)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response

from connectors.generic.connector import GenericCallback
from router.api.schemas import inline_schema

_HEADERS = [
    {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "`msg_<ticket>_<event>`: the same on every retry of a ticket's event "
                    "(drop a repeat by it)"},
    {"name": "webhook-timestamp", "in": "header", "required": True,
     "schema": {"type": "string"}, "description": "Unix seconds"},
    {"name": "webhook-signature", "in": "header", "required": True,
     "schema": {"type": "string"},
     "description": "`v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>` with "
                    "DESKROUTE_WEBHOOK_SECRET"},
]
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "any 2xx: received (a repeated webhook-id may be dropped)"},
    429: {"description": "retried with back-off, then a failed delivery for "
                         "`deskroute deliveries retry`"},
    500: {"description": "any 5xx: retried like a 429"},
}

router = APIRouter()


@router.post("ticket-callback", status_code=200, response_class=Response, responses=_ANSWERS,
             openapi_extra={"parameters": _HEADERS, "requestBody": {"required": True, "content": {
                 "application/json": {"schema": inline_schema(GenericCallback)}}}})
def ticket_callback() -> None:
    """`ticket.reply` (the answer to the customer), `ticket.escalated` (the note for a human:
    `reason` says why), `ticket.draft` (assist mode: the draft offered to your agents, with
    `note` and `draft`) or `ticket.note`, POSTed to DESKROUTE_CALLBACK_URL."""


def install(app: FastAPI) -> None:
    app.webhooks.include_router(router)
