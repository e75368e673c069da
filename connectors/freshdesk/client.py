"""Freshdesk API v2 calls deskroute makes (API key as the basic-auth user, ``X`` as password)."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from connectors.base import DeliveryResult
from connectors.freshdesk.schemas import ApiTicket, Conversation, SatisfactionRating
from connectors.freshdesk.settings import FreshdeskSettings
from connectors.http import VendorClient, json_id
from connectors.text import plain_to_html as as_html

NOT_CONFIGURED = ("Freshdesk API not configured: set DESKROUTE_FRESHDESK_DOMAIN (or "
                  "DESKROUTE_FRESHDESK_BASE_URL) and DESKROUTE_FRESHDESK_API_KEY")
PAGE = 100
OPEN = 2


class FreshdeskClient:
    def __init__(self, settings: FreshdeskSettings) -> None:
        if not (settings.api_url and settings.api_key):
            raise LookupError(NOT_CONFIGURED)
        self.http = VendorClient(
            "freshdesk", settings.api_url,
            auth=httpx.BasicAuth(settings.api_key.get_secret_value(), "X"),
            timeout=settings.timeout_seconds, retry=settings.retry_policy(),
            headers={"accept": "application/json"})
        self._me: str | None = None
        self._lock = threading.Lock()

    def ticket(self, ticket_id: str) -> ApiTicket | None:
        data = self.http.get_json(f"/api/v2/tickets/{ticket_id}", {"include": "requester"})
        return None if data is None else ApiTicket.model_validate(data)

    def satisfaction_ratings(self, ticket_id: str) -> list[SatisfactionRating]:
        """``GET /api/v2/tickets/{id}/satisfaction_ratings``: the ticket's survey answers."""
        data = self.http.get_json(f"/api/v2/tickets/{ticket_id}/satisfaction_ratings") or []
        return [SatisfactionRating.model_validate(r) for r in data]

    def conversations(self, ticket_id: str) -> list[Conversation]:
        """All of a ticket's conversations, oldest first (Freshdesk pages them)."""
        found: list[Conversation] = []
        page = 1
        while True:
            data = self.http.get_json(f"/api/v2/tickets/{ticket_id}/conversations",
                                      {"per_page": PAGE, "page": page}) or []
            found += [Conversation.model_validate(c) for c in data]
            if len(data) < PAGE:
                return found
            page += 1

    def my_agent_id(self) -> str | None:
        with self._lock:
            if self._me is None:
                data = self.http.get_json("/api/v2/agents/me") or {}
                self._me = str(data["id"]) if data.get("id") is not None else ""
            return self._me or None

    def reply(self, ticket_id: str, text: str) -> DeliveryResult:
        return self.http.deliver("POST", f"/api/v2/tickets/{ticket_id}/reply",
                                 json={"body": as_html(text)}, what="reply", ref_of=json_id)

    def note(self, ticket_id: str, text: str) -> DeliveryResult:
        return self.http.deliver("POST", f"/api/v2/tickets/{ticket_id}/notes",
                                 json={"body": as_html(text), "private": True}, what="note",
                                 ref_of=json_id)

    def update(self, ticket_id: str, fields: dict[str, Any], what: str) -> DeliveryResult:
        return self.http.deliver("PUT", f"/api/v2/tickets/{ticket_id}", json=fields, what=what)
