"""Intercom REST calls deskroute makes (bearer access token, ``Intercom-Version`` header)."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from connectors.base import DeliveryResult
from connectors.http import VendorClient, json_id
from connectors.intercom.settings import IntercomSettings
from connectors.text import plain_to_html

NOT_CONFIGURED = ("Intercom API not configured: set DESKROUTE_INTERCOM_ACCESS_TOKEN and "
                  "DESKROUTE_INTERCOM_ADMIN_ID")


def _last_part(resp: httpx.Response) -> str | None:
    parts = ((resp.json() or {}).get("conversation_parts") or {}).get("conversation_parts") or []
    return str(parts[-1]["id"]) if parts and parts[-1].get("id") is not None else None


class IntercomClient:
    def __init__(self, settings: IntercomSettings) -> None:
        if not (settings.access_token and settings.admin_id):
            raise LookupError(NOT_CONFIGURED)
        self.admin_id = settings.admin_id
        self.http = VendorClient(
            "intercom", settings.base_url, timeout=settings.timeout_seconds,
            retry=settings.retry_policy(),
            headers={"authorization": f"Bearer {settings.access_token.get_secret_value()}",
                     "accept": "application/json",
                     "intercom-version": settings.api_version})
        self._tags: dict[str, str] = {}
        self._lock = threading.Lock()

    def reply(self, conversation: str, text: str, message_type: str) -> DeliveryResult:
        """``message_type`` ``comment`` (the customer sees it) or ``note`` (teammates only)."""
        return self.http.deliver(
            "POST", f"/conversations/{conversation}/reply",
            json={"message_type": message_type, "type": "admin", "admin_id": self.admin_id,
                  "body": plain_to_html(text)},
            what=message_type, ref_of=_last_part)

    def assign_team(self, conversation: str, team_id: str) -> DeliveryResult:
        return self.http.deliver(
            "POST", f"/conversations/{conversation}/parts",
            json={"message_type": "assignment", "type": "team", "admin_id": self.admin_id,
                  "assignee_id": team_id},
            what="team assignment")

    def tag_id(self, name: str) -> tuple[str | None, DeliveryResult]:
        """The tag's id; ``POST /tags`` creates it or returns the existing one of that name."""
        with self._lock:
            if name in self._tags:
                return self._tags[name], DeliveryResult(ok=True)
        captured: dict[str, Any] = {}

        def keep(resp: httpx.Response) -> str | None:
            captured["id"] = json_id(resp)
            return captured["id"]

        result = self.http.deliver("POST", "/tags", json={"name": name}, what="tag lookup",
                                   ref_of=keep)
        tag = captured.get("id") if result.ok else None
        if tag:
            with self._lock:
                self._tags[name] = tag
        return tag, result

    def add_tag(self, conversation: str, tag_id: str) -> DeliveryResult:
        """Attaches one tag; the conversation's other tags stay."""
        return self.http.deliver("POST", f"/conversations/{conversation}/tags",
                                 json={"id": tag_id, "admin_id": self.admin_id}, what="tag")
