"""Fake Intercom (REST API 2.x) and the ``notification_event`` webhooks it sends.

Shapes from developers.intercom.com: ``POST /conversations/{id}/reply`` (``message_type``
comment|note, ``type: admin``, ``admin_id``, ``body``) answering the conversation with its
parts; ``POST /conversations/{id}/parts`` (``message_type: assignment``, ``type`` admin|team,
``assignee_id``); ``POST /tags`` (create or update by name → ``{"type": "tag", "id",
"name"}``); ``POST /conversations/{id}/tags`` (``{"id", "admin_id"}`` → the tag). Auth: a
bearer token; every request should carry ``Intercom-Version``. Webhooks: ``{"type":
"notification_event", "topic", "id": "notif_…", "data": {"item": <conversation>}}``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
from typing import Any

from tests.contract.fakes.base import FakeVendor, Request, Response

ACCESS_TOKEN = "ic-access-token-0123456789abcdef"
CLIENT_SECRET = "ic-client-secret-0123456789abcdef"
BOT_ADMIN, AGENT_ADMIN, TEAM = "814860", "814861", "5017691"


class FakeIntercom(FakeVendor):
    name = "intercom"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(300000)
        self.conversations: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, str] = {"vip": "9001"}  # name → id
        self.route("POST", r"/conversations/(\d+)/reply", self._reply)
        self.route("POST", r"/conversations/(\d+)/parts", self._parts)
        self.route("POST", r"/conversations/(\d+)/tags", self._tag_conversation)
        self.route("POST", r"/tags", self._tag)

    def authorized(self, req: Request) -> bool:
        return req.headers.get("authorization") == f"Bearer {ACCESS_TOKEN}"

    def unauthorized(self) -> Response:
        return Response(401, {"type": "error.list", "errors": [
            {"code": "unauthorized", "message": "Access Token Invalid"}]})

    # --- state helpers --------------------------------------------------------------------------

    def _author(self, kind: str, ident: str) -> dict[str, Any]:
        if kind == "admin":
            return {"type": "admin", "id": ident, "name": "Teammate",
                    "email": f"{ident}@acme.example"}
        return {"type": kind, "id": ident, "name": "Ann", "email": "ann@customer.example"}

    def start(self, body_html: str, subject: str = "", *, tags: list[str] | None = None,
              author: str = "user") -> str:
        cid = str(next(self._ids))
        self.conversations[cid] = {
            "type": "conversation", "id": cid, "created_at": int(time.time()),
            "updated_at": int(time.time()), "title": None, "state": "open", "open": True,
            "source": {"type": "conversation", "id": str(next(self._ids)),
                       "delivered_as": "customer_initiated", "subject": subject,
                       "body": body_html, "author": self._author(author, "5bc8f7ae2d96695c18a"),
                       "attachments": [], "url": None},
            "contacts": {"type": "contact.list", "contacts": [
                {"type": "contact", "id": "5bc8f7ae2d96695c18a"}]},
            "team_assignee_id": None, "admin_assignee_id": None,
            "tags": {"type": "tag.list", "tags": [
                {"type": "tag", "id": self.tags[t], "name": t} for t in (tags or ["vip"])]},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [],
                                   "total_count": 0}}
        return cid

    def add_part(self, cid: str, body_html: str, *, author_type: str = "user",
                 author_id: str = "5bc8f7ae2d96695c18a", part_type: str = "comment") -> str:
        pid = str(next(self._ids))
        parts = self.conversations[cid]["conversation_parts"]
        parts["conversation_parts"].append({
            "type": "conversation_part", "id": pid, "part_type": part_type, "body": body_html,
            "created_at": int(time.time()), "updated_at": int(time.time()),
            "notified_at": int(time.time()), "assigned_to": None,
            "author": self._author(author_type, author_id), "attachments": [],
            "external_id": None, "redacted": False})
        parts["total_count"] = len(parts["conversation_parts"])
        return pid

    def set_state(self, cid: str, state: str) -> None:
        """An admin closes or opens the conversation (``state`` closed | open)."""
        self.conversations[cid].update(state=state, open=state == "open",
                                       updated_at=int(time.time()))

    def rate(self, cid: str, rating: int, remark: str = "") -> None:
        """The customer rates the conversation (1..5, Intercom's conversation rating)."""
        now = int(time.time())
        self.conversations[cid]["conversation_rating"] = {
            "rating": rating, "remark": remark, "created_at": now, "updated_at": now,
            "contact": {"type": "contact", "id": "5bc8f7ae2d96695c18a"},
            "teammate": {"type": "admin", "id": AGENT_ADMIN}}

    def parts(self, cid: str, part_type: str) -> list[str]:
        return [p["body"] for p in self.conversations[cid]["conversation_parts"]
                ["conversation_parts"] if p["part_type"] == part_type]

    def tag_names(self, cid: str) -> list[str]:
        return [t["name"] for t in self.conversations[cid]["tags"]["tags"]]

    # --- webhooks -------------------------------------------------------------------------------

    def notification(self, topic: str, cid: str, *, last_parts: int = 1,
                     notif_id: str | None = None) -> dict[str, Any]:
        """What Intercom posts: the conversation, with only the newest part(s) included."""
        conv = json.loads(json.dumps(self.conversations[cid]))
        parts = conv["conversation_parts"]["conversation_parts"]
        conv["conversation_parts"]["conversation_parts"] = parts[-last_parts:] if (
            topic != "conversation.user.created" and last_parts) else []
        return {"type": "notification_event", "app_id": "hp8y2l1x",
                "data": {"type": "notification_event_data", "item": conv},
                "links": {}, "id": notif_id or f"notif_{next(self._ids)}", "topic": topic,
                "delivery_status": "pending", "delivery_attempts": 1, "delivered_at": 0,
                "first_sent_at": int(time.time()), "created_at": int(time.time()),
                "self": None}

    @staticmethod
    def signed(payload: dict[str, Any], secret: str = CLIENT_SECRET) -> tuple[bytes,
                                                                             dict[str, str]]:
        body = json.dumps(payload).encode()
        sig = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        return body, {"X-Hub-Signature": sig, "content-type": "application/json",
                      "User-Agent": "intercom-parrot-service-rb"}

    # --- REST handlers --------------------------------------------------------------------------

    def _conv(self, m: re.Match[str]) -> dict[str, Any] | None:
        return self.conversations.get(m.group(1))

    @staticmethod
    def _not_found() -> Response:
        return Response(404, {"type": "error.list", "errors": [
            {"code": "not_found", "message": "Resource Not Found"}]})

    @staticmethod
    def _bad(message: str) -> Response:
        return Response(400, {"type": "error.list", "errors": [
            {"code": "parameter_invalid", "message": message}]})

    def _reply(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        if conv is None:
            return self._not_found()
        data = req.json or {}
        if data.get("type") != "admin" or data.get("admin_id") not in (BOT_ADMIN, AGENT_ADMIN):
            return self._bad("admin_id must be an admin of this workspace")
        if data.get("message_type") not in ("comment", "note") or not data.get("body"):
            return self._bad("message_type and body are required")
        self.add_part(conv["id"], data["body"], author_type="admin",
                      author_id=data["admin_id"], part_type=data["message_type"])
        return Response(200, conv)

    def _parts(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        if conv is None:
            return self._not_found()
        data = req.json or {}
        if data.get("message_type") != "assignment" or data.get("type") not in ("admin", "team"):
            return self._bad("unsupported message_type")
        if data.get("type") == "team" and data.get("assignee_id") != TEAM:
            return self._bad("team not found")
        conv["team_assignee_id" if data["type"] == "team" else "admin_assignee_id"] = \
            data["assignee_id"]
        self.add_part(conv["id"], "", author_type="admin", author_id=data["admin_id"],
                      part_type="assignment")
        return Response(200, conv)

    def _tag(self, req: Request, m: re.Match[str]) -> Response:
        name = (req.json or {}).get("name")
        if not name:
            return self._bad("name is required")
        tag_id = self.tags.setdefault(name, str(next(self._ids)))
        return Response(200, {"type": "tag", "id": tag_id, "name": name})

    def _tag_conversation(self, req: Request, m: re.Match[str]) -> Response:
        conv = self._conv(m)
        if conv is None:
            return self._not_found()
        tag_id = (req.json or {}).get("id")
        names = {v: k for k, v in self.tags.items()}
        if tag_id not in names:
            return self._not_found()
        tags = conv["tags"]["tags"]
        if all(t["id"] != tag_id for t in tags):
            tags.append({"type": "tag", "id": tag_id, "name": names[tag_id]})
        return Response(200, {"type": "tag", "id": tag_id, "name": names[tag_id]})
