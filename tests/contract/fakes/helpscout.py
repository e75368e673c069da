"""Fake Help Scout (Mailbox API 2.0, OAuth2 client credentials) and its webhooks.

Shapes from developer.helpscout.com: ``POST /v2/oauth2/token`` (form: grant_type
client_credentials, client_id, client_secret → ``{"token_type": "bearer", "access_token",
"expires_in"}``); ``GET /v2/conversations/{id}`` (tags as ``{"id", "color", "tag"}``);
``GET /v2/conversations/{id}/threads`` (``_embedded.threads``, newest first);
``POST …/reply`` (``customer.id``, ``text``, ``status``, ``user``) and ``POST …/notes``
(``text``) answering 201 with a ``Resource-ID`` header; ``PATCH /v2/conversations/{id}``
(``{"op": "replace", "path": "/assignTo" | "/status", "value"}``) and ``PUT …/tags``
(replaces all tags) answering 204; ``GET /v2/users/me`` ("Get Resource Owner": the user the
token acts as, a bare User object — ``id``, ``firstName``, ``lastName``, ``email``, ``role``,
…). A reply without ``user`` is written by that user (``BOT_ID`` here). Webhooks: the
conversation object, signed with ``X-HelpScout-Signature`` and named by ``X-HelpScout-Event``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs

from tests.contract.fakes.base import FakeVendor, Request, Response

APP_ID = "hs-app-id-0123456789"
APP_SECRET = "hs-app-secret-0123456789abcdef"
SECRET = "hs-webhook-secret-0123456789"
AGENT_ID, BOT_ID, TEAM_ID, CUSTOMER_ID = 1101, 1102, 1200, 5550
STATUSES = {"active", "pending", "closed", "spam"}


class FakeHelpScout(FakeVendor):
    name = "helpscout"

    def __init__(self, expires_in: int = 172800) -> None:
        super().__init__()
        self._ids = itertools.count(880000)
        self.expires_in = expires_in
        self.valid_tokens: set[str] = set()
        self.conversations: dict[int, dict[str, Any]] = {}
        self.me_delay = 0.0  # seconds ``GET /v2/users/me`` takes (to make lookups overlap)
        self.route("POST", r"/v2/oauth2/token", self._token)
        self.route("GET", r"/v2/conversations/(\d+)", self._show)
        self.route("PATCH", r"/v2/conversations/(\d+)", self._patch)
        self.route("GET", r"/v2/conversations/(\d+)/threads", self._threads)
        self.route("POST", r"/v2/conversations/(\d+)/reply", self._reply)
        self.route("POST", r"/v2/conversations/(\d+)/notes", self._note)
        self.route("PUT", r"/v2/conversations/(\d+)/tags", self._tags)
        self.route("GET", r"/v2/users/me", self._me)

    def authorized(self, req: Request) -> bool:
        if req.path == "/v2/oauth2/token":
            return True
        auth = req.headers.get("authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.valid_tokens

    def unauthorized(self) -> Response:
        return Response(401, {"error": "invalid_token", "error_description":
                              "The access token is invalid or has expired"})

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    # --- state helpers --------------------------------------------------------------------------

    @staticmethod
    def _person(kind: str, pid: int) -> dict[str, Any]:
        if kind == "customer":
            return {"id": pid, "type": "customer", "first": "Ann", "last": "Lee",
                    "email": "ann@customer.example"}
        return {"id": pid, "type": "user", "first": "Agent", "last": str(pid),
                "email": f"agent{pid}@acme.example"}

    def start(self, subject: str, body_html: str, tags: list[str] | None = None,
              started_by: str = "customer") -> int:
        cid = next(self._ids)
        creator = self._person(started_by, CUSTOMER_ID if started_by == "customer" else AGENT_ID)
        self.conversations[cid] = {
            "id": cid, "number": cid - 870000, "threads": 0, "type": "email",
            "folderId": 1, "status": "active", "state": "published", "subject": subject,
            "preview": body_html[:60], "mailboxId": 1, "assignee": None, "createdBy": creator,
            "createdAt": "2025-01-08T10:12:07Z", "primaryCustomer": self._person("customer",
                                                                              CUSTOMER_ID),
            "source": {"type": "email", "via": started_by}, "cc": [], "bcc": [],
            "tags": [{"id": 1, "color": "#929499", "tag": t} for t in (tags or ["vip"])],
            "_threads": []}
        self.add_thread(cid, "customer" if started_by == "customer" else "message", body_html,
                        self._person(started_by, creator["id"]))
        return cid

    def add_thread(self, cid: int, kind: str, body_html: str,
                   by: dict[str, Any] | None = None) -> int:
        conv = self.conversations[cid]
        tid = next(self._ids)
        by = by or (self._person("customer", CUSTOMER_ID) if kind == "customer"
                    else self._person("user", AGENT_ID))
        conv["_threads"].append({
            "id": tid, "type": kind, "status": "active", "state": "published",
            "action": None, "body": body_html, "source": {"type": "email", "via":
                                                          by["type"]},
            "customer": conv["primaryCustomer"], "createdBy": by,
            "createdAt": f"2025-01-08T10:{12 + len(conv['_threads']):02d}:07Z"})
        conv["threads"] = len(conv["_threads"])
        return tid

    def set_status(self, cid: int, status: str, by: int = AGENT_ID) -> None:
        """A user changes the status: ``convo.status`` follows."""
        conv = self.conversations[cid]
        at = f"2025-01-09T{len(self.requests) % 24:02d}:{next(self._ids) % 60:02d}:00Z"
        conv.update(status=status, userUpdatedAt=at)
        conv["closedAt"], conv["closedBy"] = (at, by) if status == "closed" else (None, None)

    def rating(self, cid: int, rating: str) -> dict[str, Any]:
        """The ``satisfaction.ratings`` body (the v2 Rating object) for a customer's rating."""
        conv = self.conversations[cid]
        return {"id": next(self._ids), "customer": {"id": CUSTOMER_ID, "firstName": "Ann",
                                                    "lastName": "Lee"},
                "ticketId": cid, "threadId": conv["_threads"][-1]["id"],
                "mailbox": {"id": 1, "name": "Support"}, "rating": rating, "comments": "",
                "createdAt": "2025-01-09T12:00:00Z", "modifiedAt": "2025-01-09T12:00:00Z"}

    def threads_of(self, cid: int, kind: str) -> list[str]:
        return [t["body"] for t in self.conversations[cid]["_threads"] if t["type"] == kind]

    def tag_names(self, cid: int) -> list[str]:
        return [t["tag"] for t in self.conversations[cid]["tags"]]

    # --- webhooks -------------------------------------------------------------------------------

    def payload(self, cid: int, embed_threads: bool = True) -> dict[str, Any]:
        conv = {k: v for k, v in self.conversations[cid].items() if k != "_threads"}
        if embed_threads:
            conv["_embedded"] = {"threads": list(reversed(self.conversations[cid]["_threads"]))}
        return conv

    @staticmethod
    def signed(payload: dict[str, Any], event: str,
               secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()
        return body, {"X-HelpScout-Event": event, "X-HelpScout-Signature": sig,
                      "content-type": "application/json"}

    # --- REST handlers --------------------------------------------------------------------------

    def _token(self, req: Request, m: re.Match[str]) -> Response:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != APP_ID \
                or form.get("client_secret") != APP_SECRET:
            return Response(401, {"error": "invalid_client"})
        token = f"hs-token-{next(self._ids)}"
        self.valid_tokens.add(token)
        return Response(200, {"token_type": "bearer", "access_token": token,
                              "expires_in": self.expires_in})

    def _me(self, req: Request, m: re.Match[str]) -> Response:
        time.sleep(self.me_delay)
        return Response(200, {
            "id": BOT_ID, "firstName": "Desk", "lastName": "Route",
            "email": "deskroute@acme.example", "role": "user", "timezone": "UTC",
            "createdAt": "2024-11-02T09:00:00Z", "updatedAt": "2024-11-02T09:00:00Z",
            "type": "user", "mention": "deskroute", "initials": "DR",
            "alternateEmails": [], "companyId": 1,
            "_links": {"self": {"href": f"{self.url}/v2/users/{BOT_ID}"}}})

    def _conv(self, m: re.Match[str]) -> dict[str, Any] | None:
        return self.conversations.get(int(m.group(1)))

    @staticmethod
    def _invalid(path: str, message: str) -> Response:
        return Response(400, {"logRef": "fake", "message": "Bad request", "_embedded": {
            "errors": [{"path": path, "message": message, "source": "JSON"}]}})

    def _show(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        return Response(404, None) if conv is None else Response(
            200, self.payload(conv["id"], embed_threads="threads" in str(req.query)))

    def _threads(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        if conv is None:
            return Response(404, None)
        threads = list(reversed(conv["_threads"]))
        return Response(200, {"_embedded": {"threads": threads}, "page": {
            "size": 25, "totalElements": len(threads), "totalPages": 1, "number": 1}})

    def _created(self, cid: int, kind: str, text: Any, by: dict[str, Any]) -> Response:
        if not isinstance(text, str) or not text.strip():
            return self._invalid("text", "may not be empty")
        tid = self.add_thread(cid, kind, text, by)
        return Response(201, None, {"Resource-ID": str(tid),
                                    "Location": f"{self.url}/v2/conversations/{cid}/threads/{tid}"})

    def _reply(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        if conv is None:
            return Response(404, None)
        data = req.json or {}
        if (data.get("customer") or {}).get("id") != conv["primaryCustomer"]["id"]:
            return self._invalid("customer", "must be the conversation's customer")
        if "status" in data and data["status"] not in STATUSES:
            return self._invalid("status", "invalid status")
        if "status" in data:
            conv["status"] = data["status"]
        return self._created(conv["id"], "message", data.get("text"),
                             self._person("user", int(data.get("user", BOT_ID))))

    def _note(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        if conv is None:
            return Response(404, None)
        return self._created(conv["id"], "note", (req.json or {}).get("text"),
                             self._person("user", BOT_ID))

    def _patch(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        if conv is None:
            return Response(404, None)
        data = req.json or {}
        if data.get("op") != "replace" or data.get("path") not in ("/assignTo", "/status",
                                                                   "/subject"):
            return self._invalid("path", "unsupported operation")
        if data["path"] == "/assignTo":
            if data.get("value") not in (AGENT_ID, BOT_ID, TEAM_ID):
                return self._invalid("value", "unknown user or team")
            conv["assignee"] = {"id": data["value"], "type": "user"}
        elif data["path"] == "/status":
            if data.get("value") not in STATUSES:
                return self._invalid("value", "invalid status")
            conv["status"] = data["value"]
        else:
            conv["subject"] = data.get("value")
        return Response(204, None)

    def _tags(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        if conv is None:
            return Response(404, None)
        tags = (req.json or {}).get("tags")
        if not isinstance(tags, list):
            return self._invalid("tags", "must be a list")
        conv["tags"] = [{"id": i + 1, "color": "#929499", "tag": t} for i, t in enumerate(tags)]
        return Response(204, None)
