"""Fake Freshdesk (API v2): tickets, conversations, replies, notes, updates, agents/me.

Shapes from developers.freshdesk.com/api: ``GET /api/v2/tickets/{id}`` (``include=requester``),
``GET /api/v2/tickets/{id}/conversations`` (``per_page``/``page``, oldest first, ``incoming``
and ``private`` flags, HTML ``body`` and ``body_text``), ``POST …/reply`` and ``…/notes``
answering 201 with the conversation, ``PUT /api/v2/tickets/{id}`` (``tags`` replaces the
ticket's tags; unknown fields are a 400 "Validation failed"), ``GET
/api/v2/tickets/{id}/satisfaction_ratings`` (a list; ``ratings.default_question`` a code from
103 to -103). Auth: basic, API key as user.
"""

from __future__ import annotations

import base64
import html
import itertools
import re
from typing import Any

from tests.contract.fakes.base import FakeVendor, Request, Response

API_KEY = "fd-api-key-0123456789abcdef"
TOKEN = "fd-webhook-token-0123456789abcdef"
BOT_ID, AGENT_ID = 77000, 77001
UPDATABLE = {"status", "group_id", "tags", "priority", "responder_id"}


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).strip()


class FakeFreshdesk(FakeVendor):
    name = "freshdesk"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1001)
        self._clock = itertools.count(1)
        self.tickets: dict[int, dict[str, Any]] = {}
        self.route("GET", r"/api/v2/tickets/(\d+)", self._show)
        self.route("PUT", r"/api/v2/tickets/(\d+)", self._update)
        self.route("GET", r"/api/v2/tickets/(\d+)/conversations", self._conversations)
        self.route("GET", r"/api/v2/tickets/(\d+)/satisfaction_ratings", self._ratings)
        self.route("POST", r"/api/v2/tickets/(\d+)/reply", self._reply)
        self.route("POST", r"/api/v2/tickets/(\d+)/notes", self._note)
        self.route("GET", r"/api/v2/agents/me", lambda r, m: Response(200, {
            "id": BOT_ID, "contact": {"email": "bot@acme.example", "name": "deskroute"}}))

    def authorized(self, req: Request) -> bool:
        want = base64.b64encode(f"{API_KEY}:X".encode()).decode()
        return req.headers.get("authorization") == f"Basic {want}"

    def unauthorized(self) -> Response:
        return Response(401, {"code": "invalid_credentials",
                              "message": "You have to be logged in to perform this action."})

    # --- state helpers --------------------------------------------------------------------------

    def open_ticket(self, subject: str, description_html: str,
                    tags: list[str] | None = None) -> int:
        tid = next(self._ids)
        self.tickets[tid] = {
            "id": tid, "subject": subject, "description": description_html,
            "description_text": _text(description_html), "requester_id": 5001,
            "requester": {"id": 5001, "email": "ann@customer.example", "name": "Ann"},
            "status": 2, "group_id": None, "tags": list(tags or ["vip"]), "conversations": [],
            "ratings": [], "updated_at": self._now()}
        return tid

    def _now(self) -> str:
        """A timestamp that moves on with every change (Freshdesk's ``updated_at``)."""
        return f"2025-01-08T10:{next(self._clock) // 60 % 60:02d}:{next(self._clock) % 60:02d}Z"

    def set_status(self, tid: int, status: int) -> None:
        self.tickets[tid].update(status=status, updated_at=self._now())

    def rate(self, tid: int, code: int) -> int:
        rid = next(self._ids)
        at = self._now()
        self.tickets[tid]["ratings"].append({
            "id": rid, "survey_id": 4, "user_id": 5001, "agent_id": BOT_ID, "group_id": None,
            "ticket_id": tid, "feedback": "", "ratings": {"default_question": code},
            "created_at": at, "updated_at": at})
        return rid

    def add_conversation(self, tid: int, body_html: str, *, incoming: bool,
                         private: bool = False, user_id: int = 5001) -> int:
        cid = next(self._ids)
        self.tickets[tid]["conversations"].append({
            "id": cid, "body": body_html, "body_text": _text(body_html), "incoming": incoming,
            "private": private, "user_id": user_id, "ticket_id": tid, "source": 0 if not
            private else 2, "created_at": "2025-01-08T10:12:07Z"})
        return cid

    def replies(self, tid: int) -> list[str]:
        return [c["body"] for c in self.tickets[tid]["conversations"]
                if not c["incoming"] and not c["private"] and c["user_id"] == BOT_ID]

    def notes(self, tid: int) -> list[str]:
        return [c["body"] for c in self.tickets[tid]["conversations"] if c["private"]]

    # --- REST handlers --------------------------------------------------------------------------

    def _get(self, m: re.Match[str]) -> dict[str, Any] | None:
        return self.tickets.get(int(m.group(1)))

    @staticmethod
    def _public(t: dict[str, Any], requester: bool = False) -> dict[str, Any]:
        out = {k: v for k, v in t.items() if k not in ("conversations", "requester", "ratings")}
        if requester:
            out["requester"] = t["requester"]
        return out

    def _show(self, req: Request, m: re.Match[str]) -> Response:
        t = self._get(m)
        if t is None:
            return Response(404, None)
        return Response(200, self._public(t, "requester" in req.query.get("include", [""])[0]))

    def _update(self, req: Request, m: re.Match[str]) -> Response:
        t = self._get(m)
        if t is None:
            return Response(404, None)
        data = req.json or {}
        bad = sorted(set(data) - UPDATABLE)
        if bad or ("status" in data and data["status"] not in (2, 3, 4, 5)):
            return Response(400, {"description": "Validation failed", "errors": [
                {"field": f, "message": "Unexpected/invalid field in request",
                 "code": "invalid_field"} for f in (bad or ["status"])]})
        for k, v in data.items():
            t[k] = list(v) if k == "tags" else v
        return Response(200, self._public(t))

    def _conversations(self, req: Request, m: re.Match[str]) -> Response:
        t = self._get(m)
        if t is None:
            return Response(404, None)
        per = int(req.query.get("per_page", ["30"])[0])
        page = int(req.query.get("page", ["1"])[0])
        return Response(200, t["conversations"][(page - 1) * per: page * per])

    def _ratings(self, req: Request, m: re.Match[str]) -> Response:
        t = self._get(m)
        return Response(404, None) if t is None else Response(200, t["ratings"])

    def _post(self, req: Request, m: re.Match[str], private: bool) -> Response:
        t = self._get(m)
        if t is None:
            return Response(404, None)
        body = (req.json or {}).get("body")
        if not isinstance(body, str) or not body.strip():
            return Response(400, {"description": "Validation failed", "errors": [
                {"field": "body", "message": "It should not be blank", "code": "missing_field"}]})
        cid = self.add_conversation(t["id"], body, incoming=False, private=private,
                                    user_id=BOT_ID)
        return Response(201, t["conversations"][-1] | {"id": cid})

    def _reply(self, req: Request, m: re.Match[str]) -> Response:
        return self._post(req, m, private=False)

    def _note(self, req: Request, m: re.Match[str]) -> Response:
        return self._post(req, m, private=bool((req.json or {}).get("private", True)))
