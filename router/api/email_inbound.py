"""``POST /email/inbound``: the URL an inbound-parse service (Postmark) posts mail to.

The same intake as ``/webhooks/email`` (authenticate, store, enqueue), answered ``200``:
Postmark retries anything else ("a non-200 code") up to ten times, and stops at a ``403``.
Authentication is HTTP basic auth, which Postmark sends when the user and password are in the
webhook URL (``https://deskroute:<password>@host/email/inbound``). A raw message posted as
``message/rfc822`` is read too (a mail server's pipe, a hand test with curl).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from connectors.email.message import PostmarkInbound
from router.api import webhooks
from router.api.schemas import WebhookAccepted, WebhookIgnored, inline_schema

router = APIRouter(tags=["webhooks"])


@router.post(
    "/email/inbound", status_code=200, response_model=WebhookAccepted,
    responses={**webhooks.RESPONSES, 200: {
        "model": WebhookAccepted | WebhookIgnored,
        "description": "stored (or already stored), or a mail deskroute does not answer "
                       "(auto-reply, bounce, its own) with the reason",
    }},
    openapi_extra={
        "parameters": [{"name": "Authorization", "in": "header", "required": False,
                        "schema": {"type": "string"},
                        "description": "`Basic base64(DESKROUTE_EMAIL_INBOUND_USER:"
                                       "DESKROUTE_EMAIL_INBOUND_PASSWORD)`"}],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": inline_schema(PostmarkInbound)},
            "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
        }},
    },
)
async def email_inbound(request: Request) -> Any:
    """An inbound e-mail: Postmark's inbound JSON, or a raw RFC 822 message."""
    return await webhooks.receive("email", request)
