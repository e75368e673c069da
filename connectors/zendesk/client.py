"""Zendesk Support REST API calls deskroute makes (``email/token:API_TOKEN`` basic auth)."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from connectors.base import DeliveryResult
from connectors.http import VendorClient
from connectors.zendesk.schemas import ApiTicket, CommentPage
from connectors.zendesk.settings import ZendeskSettings

NOT_CONFIGURED = ("Zendesk API not configured: set DESKROUTE_ZENDESK_SUBDOMAIN (or "
                  "DESKROUTE_ZENDESK_BASE_URL), DESKROUTE_ZENDESK_EMAIL and "
                  "DESKROUTE_ZENDESK_API_TOKEN")


def _comment_ref(resp: httpx.Response) -> str | None:
    for event in (resp.json() or {}).get("audit", {}).get("events", []):
        if event.get("type") == "Comment":
            return str(event.get("id"))
    return None


class ZendeskClient:
    def __init__(self, settings: ZendeskSettings) -> None:
        if not (settings.api_url and settings.email and settings.api_token):
            raise LookupError(NOT_CONFIGURED)
        auth = httpx.BasicAuth(f"{settings.email}/token", settings.api_token.get_secret_value())
        self.http = VendorClient("zendesk", settings.api_url, auth=auth,
                                 timeout=settings.timeout_seconds, retry=settings.retry_policy(),
                                 headers={"accept": "application/json"})
        self._me: str | None = None
        self._lock = threading.Lock()

    # --- reads (for parsing webhooks) ----------------------------------------------------------

    def ticket(self, ticket_id: str) -> ApiTicket | None:
        data = self.http.get_json(f"/api/v2/tickets/{ticket_id}.json")
        return None if data is None else ApiTicket.model_validate(data.get("ticket") or {})

    def recent_comments(self, ticket_id: str) -> CommentPage | None:
        """Newest first, with the authors sideloaded (their role tells customer from agent)."""
        data = self.http.get_json(f"/api/v2/tickets/{ticket_id}/comments.json",
                                  {"sort_order": "desc", "include": "users"})
        return None if data is None else CommentPage.model_validate(data)

    def my_user_id(self) -> str | None:
        """The API user's id (deskroute's own comments are authored by it), looked up once."""
        with self._lock:
            if self._me is None:
                data = self.http.get_json("/api/v2/users/me.json") or {}
                user = data.get("user") or {}
                self._me = str(user["id"]) if user.get("id") is not None else ""
            return self._me or None

    # --- writes (deliveries) ----------------------------------------------------------------

    def update(self, ticket_id: str, ticket: dict[str, Any], what: str) -> DeliveryResult:
        return self.http.deliver("PUT", f"/api/v2/tickets/{ticket_id}.json",
                                 json={"ticket": ticket}, what=what, ref_of=_comment_ref)

    def add_tags(self, ticket_id: str, tags: list[str]) -> DeliveryResult:
        """``PUT …/tags`` adds to the ticket's tags (``POST`` would replace them)."""
        return self.http.deliver("PUT", f"/api/v2/tickets/{ticket_id}/tags.json",
                                 json={"tags": tags}, what="add tags")
