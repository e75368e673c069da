"""``POST /slack/events``: the Request URL a Slack app's Event Subscriptions point at.

The same intake as ``/webhooks/slack`` (verify the signature, store, enqueue, answer), at the
path Slack's docs and the shipped manifest (``connectors/slack/manifest.yml``) use. Slack
waits 3 seconds for a 2xx and retries otherwise; the intake only stores and wakes the
workers, and a retry (``X-Slack-Retry-Num``) meets its own ticket and is answered as a
duplicate.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from connectors.slack.events import Envelope
from router.api import webhooks
from router.api.schemas import WebhookAccepted, WebhookIgnored, inline_schema

router = APIRouter(tags=["webhooks"])


class SlackChallenge(BaseModel):
    """The answer to Slack's ``url_verification``: its own challenge, echoed."""

    challenge: str


_HEADERS = [
    {"name": "X-Slack-Request-Timestamp", "in": "header", "required": False,
     "schema": {"type": "string"}, "description": "Unix seconds; ±5 minutes accepted"},
    {"name": "X-Slack-Signature", "in": "header", "required": False,
     "schema": {"type": "string"},
     "description": "`v0=` hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` (signing secret)"},
    {"name": "X-Slack-Retry-Num", "in": "header", "required": False,
     "schema": {"type": "string"}, "description": "Slack's retry count (answered as duplicate)"},
]


@router.post(
    "/slack/events", status_code=202, response_model=WebhookAccepted,
    responses={**webhooks.RESPONSES, 200: {
        "model": SlackChallenge | WebhookIgnored,
        "description": "the url_verification challenge echoed, or an event deskroute ignores",
    }},
    openapi_extra={"parameters": _HEADERS, "requestBody": {"required": True, "content": {
        "application/json": {"schema": inline_schema(Envelope)}}}},
)
async def slack_events(request: Request) -> Any:
    """Slack Events API (signed with the app's signing secret): `url_verification` is
    answered with its challenge; `app_mention` and direct messages become tickets."""
    return await webhooks.receive("slack", request)
