"""Fake Slack: the Web API methods deskroute calls and the Events API requests Slack sends.

Web API (docs.slack.dev/reference/methods): ``POST /api/chat.postMessage`` (JSON body:
``channel``, ``text``, ``thread_ts``) answering ``{"ok": true, "channel", "ts", "message"}``;
``chat.getPermalink`` (``channel``, ``message_ts`` as a query or a form) answering
``{"ok": true, "permalink"}``;
``POST /api/auth.test``. Auth: ``Authorization: Bearer xoxb-…``; a wrong token answers HTTP 200
``{"ok": false, "error": "invalid_auth"}`` as Slack does. Events: ``event_callback`` envelopes
as in Slack's ``app_mention`` and ``message.im`` examples, signed ``v0=`` HMAC-SHA256 over
``v0:<timestamp>:<body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs

from tests.contract.fakes.base import FakeVendor, Request, Response

SIGNING_SECRET = "5d2f9b1c7e4a8f3b6c0d9e2a1b4c7f8e"
BOT_TOKEN = "xoxb-2418207133-5573894561-Qk3vR8mZpL1nW6yT"
BOT_USER, BOT_ID, TEAM = "U0DESKBOT", "B0DESKBOT", "T0ACME"
SUPPORT_CHANNEL, ONCALL = "C0SUPPORT", "S0ONCALL"


def sign(body: bytes, ts: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest(),
            "content-type": "application/json"}


class FakeSlack(FakeVendor):
    name = "slack"

    def __init__(self) -> None:
        super().__init__()
        self._ts = itertools.count(1)
        self._events = itertools.count(1)
        self.posted: list[dict[str, Any]] = []  # every message chat.postMessage accepted
        self.route("POST", r"/api/chat\.postMessage", self._post)
        for verb in ("GET", "POST"):  # Slack takes either; slack_sdk posts a form
            self.route(verb, r"/api/chat\.getPermalink", self._permalink)
        self.route("POST", r"/api/auth\.test", self._auth_test)

    def authorized(self, req: Request) -> bool:
        return req.headers.get("authorization") == f"Bearer {BOT_TOKEN}"

    def unauthorized(self) -> Response:
        return Response(200, {"ok": False, "error": "invalid_auth"})

    # --- the Web API ----------------------------------------------------------------------------

    @staticmethod
    def _args(req: Request) -> dict[str, Any]:
        if isinstance(req.json, dict):
            return req.json
        form = parse_qs(req.body.decode()) if req.body else {}
        return {k: v[0] for k, v in {**req.query, **form}.items()}

    def next_ts(self) -> str:
        return f"{1700000000 + next(self._ts)}.{next(self._ts):06d}"

    def _post(self, req: Request, _: Any) -> Response:
        args = self._args(req)
        if not args.get("channel"):
            return Response(200, {"ok": False, "error": "channel_not_found"})
        if not args.get("text"):
            return Response(200, {"ok": False, "error": "no_text"})
        msg = {"channel": args["channel"], "text": args["text"], "ts": self.next_ts(),
               "thread_ts": args.get("thread_ts"), "user": BOT_USER, "bot_id": BOT_ID}
        self.posted.append(msg)
        return Response(200, {"ok": True, "channel": msg["channel"], "ts": msg["ts"],
                              "message": {"type": "message", **msg}})

    def _permalink(self, req: Request, _: Any) -> Response:
        args = self._args(req)
        channel, ts = args.get("channel"), args.get("message_ts")
        if not channel or not ts:
            return Response(200, {"ok": False, "error": "message_not_found"})
        return Response(200, {"ok": True, "channel": channel,
                              "permalink": f"https://acme.slack.com/archives/{channel}/"
                                           f"p{ts.replace('.', '')}"})

    def _auth_test(self, req: Request, _: Any) -> Response:
        return Response(200, {"ok": True, "team_id": TEAM, "user_id": BOT_USER,
                              "bot_id": BOT_ID})

    def thread(self, channel: str, root: str) -> list[dict[str, Any]]:
        return [m for m in self.posted if m["channel"] == channel and m["thread_ts"] == root]

    def in_channel(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.posted if m["channel"] == channel]

    # --- the Events API -------------------------------------------------------------------------

    def event(self, event: dict[str, Any], *, event_id: str | None = None) -> bytes:
        """An ``event_callback`` envelope as Slack sends it, with the bot's authorization."""
        return json.dumps({
            "token": "XXYYZZ", "team_id": TEAM, "api_app_id": "A0DESK", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{next(self._events):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER,
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }).encode()

    def mention(self, text: str, *, channel: str = "C0GENERAL", user: str = "U0ANN",
                thread_ts: str | None = None) -> dict[str, Any]:
        ts = self.next_ts()
        ev = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts,
              "channel": channel, "event_ts": ts, "team": TEAM}
        if thread_ts:
            ev["thread_ts"] = thread_ts
        return ev

    def dm(self, text: str, *, channel: str = "D0ANN", user: str = "U0ANN",
           thread_ts: str | None = None) -> dict[str, Any]:
        ts = self.next_ts()
        ev = {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
              "event_ts": ts, "channel_type": "im", "team": TEAM}
        if thread_ts:
            ev["thread_ts"] = thread_ts
        return ev
