"""Fake Zendesk Support: the REST shapes deskroute uses and the webhooks Zendesk sends.

REST (developer.zendesk.com, Tickets / Ticket Comments / Tags / Users): ``GET
/api/v2/tickets/{id}.json``, ``GET /api/v2/tickets/{id}/comments.json`` (``sort_order``,
``include=users``), ``PUT /api/v2/tickets/{id}.json`` with ``{"ticket": {"comment": {"body",
"public"}, "status", "group_id"}}`` answering the ticket and its audit, ``PUT
/api/v2/tickets/{id}/tags.json`` (adds) / ``POST`` (replaces), ``GET /api/v2/users/me.json``.
Auth: basic ``{email}/token:{api_token}``. Webhooks: event payloads as in Zendesk's
``zen:event-type:ticket.*`` examples (ids as strings), signed by ``signature.signed_headers``.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import uuid
from typing import Any

from connectors.zendesk.signature import signed_headers
from tests.contract.fakes.base import FakeVendor, Request, Response

EMAIL = "deskroute@acme.example"
TOKEN = "zd-api-token-0123456789abcdef"
SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # Zendesk's documented test secret
AGENT_ID, BOT_ID = 900, 901


class FakeZendesk(FakeVendor):
    name = "zendesk"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(5000)
        self.users: dict[int, dict[str, Any]] = {
            AGENT_ID: {"id": AGENT_ID, "role": "agent", "name": "Agnes Agent",
                       "email": "agnes@acme.example"},
            BOT_ID: {"id": BOT_ID, "role": "agent", "name": "deskroute", "email": EMAIL},
        }
        self.tickets: dict[int, dict[str, Any]] = {}
        self.route("GET", r"/api/v2/tickets/(\d+)\.json", self._show)
        self.route("PUT", r"/api/v2/tickets/(\d+)\.json", self._update)
        self.route("GET", r"/api/v2/tickets/(\d+)/comments\.json", self._comments)
        self.route("PUT", r"/api/v2/tickets/(\d+)/tags\.json", self._add_tags)
        self.route("POST", r"/api/v2/tickets/(\d+)/tags\.json", self._set_tags)
        self.route("GET", r"/api/v2/users/me\.json", self._me)

    def authorized(self, req: Request) -> bool:
        want = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
        return req.headers.get("authorization") == f"Basic {want}"

    # --- state helpers for tests ----------------------------------------------------------------

    def customer(self, email: str = "ann@customer.example") -> int:
        for uid, u in self.users.items():
            if u["email"] == email:
                return uid
        uid = next(self._ids)
        self.users[uid] = {"id": uid, "role": "end-user", "name": email.split("@")[0],
                           "email": email}
        return uid

    def open_ticket(self, subject: str, body: str, *, tags: list[str] | None = None,
                    email: str = "ann@customer.example") -> int:
        tid = next(self._ids)
        requester = self.customer(email)
        self.tickets[tid] = {"id": tid, "subject": subject, "description": body,
                             "requester_id": requester, "status": "new", "group_id": None,
                             "tags": list(tags or ["vip"]), "comments": [],
                             "satisfaction_rating": {"score": "unoffered"}}
        self.add_comment(tid, requester, body)
        return tid

    def add_comment(self, tid: int, author: int, body: str, public: bool = True) -> int:
        cid = next(self._ids)
        self.tickets[tid]["comments"].append(
            {"id": cid, "type": "Comment", "author_id": author, "body": body,
             "html_body": f"<p>{body}</p>", "plain_body": body, "public": public})
        return cid

    def rate(self, tid: int, score: str) -> int:
        """The requester answers the (legacy) CSAT survey: ``good`` or ``bad``."""
        rid = next(self._ids)
        self.tickets[tid]["satisfaction_rating"] = {"id": rid, "score": score, "comment": None}
        return rid

    def public_replies(self, tid: int) -> list[str]:
        return [c["body"] for c in self.tickets[tid]["comments"]
                if c["public"] and c["author_id"] == BOT_ID]

    def notes(self, tid: int) -> list[str]:
        return [c["body"] for c in self.tickets[tid]["comments"] if not c["public"]]

    # --- webhooks Zendesk would send ------------------------------------------------------------

    def _detail(self, tid: int, actor: int) -> dict[str, Any]:
        t = self.tickets[tid]
        return {"actor_id": str(actor), "assignee_id": None, "brand_id": "8447346621310",
                "created_at": "2025-01-08T10:12:07Z", "custom_status": "8447320465790",
                "description": t["description"], "external_id": None,
                "form_id": "8646151517822",
                "group_id": str(t["group_id"]) if t["group_id"] else None, "id": str(tid),
                "is_public": True, "organization_id": None, "priority": "NORMAL",
                "requester_id": str(t["requester_id"]), "status": t["status"].upper(),
                "subject": t["subject"], "submitter_id": str(t["requester_id"]),
                "tags": t["tags"], "type": "QUESTION", "updated_at": "2025-01-08T10:12:07Z",
                "via": {"channel": "web_service"}}

    def event(self, kind: str, tid: int, comment_id: int | None = None,
              event_id: str | None = None) -> dict[str, Any]:
        t = self.tickets[tid]
        event: dict[str, Any] = {}
        actor = t["requester_id"]
        if comment_id is not None:
            c = next(c for c in t["comments"] if c["id"] == comment_id)
            author = self.users[c["author_id"]]
            actor = author["id"]
            event = {"comment": {"id": str(c["id"]), "body": c["body"], "is_public": c["public"],
                                 "author": {"id": str(author["id"]), "name": author["name"],
                                            "is_staff": author["role"] != "end-user"}}}
        return {"account_id": 22129848, "detail": self._detail(tid, actor), "event": event,
                "id": event_id or str(uuid.uuid4()), "subject": f"zen:ticket:{tid}",
                "time": "2025-01-08T10:12:07.672717030Z",
                "type": f"zen:event-type:ticket.{kind}", "zendesk_event_version": "2022-11-06"}

    def status_event(self, tid: int, previous: str, current: str,
                     event_id: str | None = None, actor: int | None = None) -> dict[str, Any]:
        """``ticket.status_changed`` as Zendesk sends it: the statuses in ``event``, who
        changed it in ``detail.actor_id`` (the requester unless ``actor`` is given)."""
        payload = self.event("status_changed", tid, event_id=event_id)
        payload["event"] = {"current": current, "previous": previous}
        payload["detail"]["status"] = current
        if actor is not None:
            payload["detail"]["actor_id"] = str(actor)
        return payload

    @staticmethod
    def signed(payload: dict[str, Any], secret: str = SECRET,
               now: float | None = None) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        return body, signed_headers(secret, body, now=now)

    # --- REST handlers --------------------------------------------------------------------------

    def _ticket(self, m: re.Match[str]) -> dict[str, Any] | None:
        return self.tickets.get(int(m.group(1)))

    @staticmethod
    def _public(t: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in t.items() if k != "comments"}

    def _show(self, req: Request, m: re.Match[str]) -> Response:
        t = self._ticket(m)
        return Response(404, {"error": "RecordNotFound"}) if t is None else Response(
            200, {"ticket": self._public(t)})

    def _comments(self, req: Request, m: re.Match[str]) -> Response:
        t = self._ticket(m)
        if t is None:
            return Response(404, {"error": "RecordNotFound"})
        comments = list(t["comments"])
        if req.query.get("sort_order") == ["desc"]:
            comments.reverse()
        body: dict[str, Any] = {"comments": comments, "next_page": None,
                                "previous_page": None, "count": len(comments)}
        if "users" in (req.query.get("include") or [""])[0]:
            authors = {c["author_id"] for c in comments}
            body["users"] = [self.users[a] for a in sorted(authors)]
        return Response(200, body)

    def _update(self, req: Request, m: re.Match[str]) -> Response:
        t = self._ticket(m)
        if t is None:
            return Response(404, {"error": "RecordNotFound"})
        data = (req.json or {}).get("ticket")
        if not isinstance(data, dict):
            return Response(400, {"error": "InvalidJSON"})
        events: list[dict[str, Any]] = []
        comment = data.get("comment")
        if comment is not None:
            if not isinstance(comment.get("body"), str) or not comment["body"].strip():
                return Response(422, {"error": "RecordInvalid",
                                      "details": {"base": [{"description": "Comment: cannot "
                                                            "be blank"}]}})
            cid = self.add_comment(t["id"], BOT_ID, comment["body"],
                                   public=bool(comment.get("public", True)))
            events.append({"id": cid, "type": "Comment", "body": comment["body"],
                           "public": bool(comment.get("public", True))})
        for key in ("status", "group_id"):
            if key in data:
                t[key] = data[key]
        if "tags" in data:  # the Tickets API replaces tags when given "tags"
            t["tags"] = list(data["tags"])
        return Response(200, {"ticket": self._public(t), "audit": {
            "id": next(self._ids), "ticket_id": t["id"], "author_id": BOT_ID, "events": events}})

    def _add_tags(self, req: Request, m: re.Match[str]) -> Response:
        t = self._ticket(m)
        if t is None:
            return Response(404, {"error": "RecordNotFound"})
        for tag in (req.json or {}).get("tags", []):
            if tag not in t["tags"]:
                t["tags"].append(tag)
        return Response(200, {"tags": t["tags"]})

    def _set_tags(self, req: Request, m: re.Match[str]) -> Response:
        t = self._ticket(m)
        if t is None:
            return Response(404, {"error": "RecordNotFound"})
        t["tags"] = list((req.json or {}).get("tags", []))
        return Response(201, {"tags": t["tags"]})

    def _me(self, req: Request, m: re.Match[str]) -> Response:
        return Response(200, {"user": self.users[BOT_ID]})
