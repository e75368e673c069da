"""The Slack connector: Events API in (signed), Web API out through ``slack_sdk``'s WebClient.

Inbound is verified with ``slack_sdk``'s ``SignatureVerifier`` (``v0:<timestamp>:<raw body>``,
HMAC-SHA256 with the signing secret, 5-minute window) and parsed by :mod:`.events` without any
API call, so the endpoint only stores and enqueues and answers well inside Slack's 3 seconds.

Outbound: a reply is ``chat.postMessage`` in the message's thread (``thread_ts``); an
escalation posts to the support channel — on-call group tagged, a permalink to the customer's
message (``chat.getPermalink``), the reasons and any draft — and then, best effort, tells the
customer in their thread that a person will answer. No inline retries: a 429's
``Retry-After`` or a 5xx goes back to the worker as a retryable ``DeliveryResult``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import Clock, SignatureVerifier

from connectors.base import DeliveryResult, EscalationTarget, Inbound, SignatureError
from connectors.http import RETRYABLE_STATUS
from connectors.payload import load_json
from connectors.slack.events import read_event
from connectors.slack.settings import SlackSettings
from connectors.vendor import VendorConnector
from connectors.webhook_auth import check_fresh, require, secret_value, timestamp
from router.domain import OutgoingReply

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
REPLAY_WINDOW_SECONDS = 300  # Slack's documented 5 minutes (slack_sdk checks the same)
NOT_CONFIGURED = "Slack API not configured: set DESKROUTE_SLACK_BOT_TOKEN"
_RETRYABLE_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error",
                               "service_unavailable", "request_timeout"})


def escape(text: str) -> str:
    """Slack's three control characters in text we post (its docs: escape &, <, >)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _result(call: Callable[[], Any], what: str) -> tuple[DeliveryResult, Any]:
    """Run one Web API call; a failure as the core sees it (never raises)."""
    try:
        resp = call()
    except SlackApiError as exc:
        r = exc.response
        status = int(getattr(r, "status_code", 0) or 0)
        error = (r.data or {}).get("error") if isinstance(r.data, dict) else None
        wait = r.headers.get("Retry-After") or r.headers.get("retry-after") if r.headers else None
        return DeliveryResult(
            ok=False, status_code=status or None,
            error=f"slack {what} answered {status}: {error or 'error'}",
            retryable=status in RETRYABLE_STATUS or error in _RETRYABLE_ERRORS,
            retry_after=float(wait) if wait and str(wait).strip().isdigit() else None,
        ), None
    except (OSError, TimeoutError) as exc:  # URLError, connection refused, read timeout
        return DeliveryResult(ok=False, error=f"slack {what}: {type(exc).__name__}",
                              retryable=True), None
    return DeliveryResult(ok=True, status_code=resp.status_code,
                          vendor_ref=str(resp.get("ts") or "") or None), resp


class SlackConnector(VendorConnector[SlackSettings, WebClient]):
    name = "slack"
    settings_class = SlackSettings
    parse_is_local = True  # the body alone says what the event is

    def __init__(self, settings: SlackSettings | None = None, clock: Clock | None = None) -> None:
        super().__init__(settings)
        self.clock = clock or Clock()  # tests check Slack's documented example at its time

    def make_client(self) -> WebClient:
        if self.settings.bot_token is None:
            raise LookupError(NOT_CONFIGURED)
        return WebClient(token=self.settings.bot_token.get_secret_value(),
                         base_url=self.settings.base_url.rstrip("/") + "/",
                         timeout=max(1, math.ceil(self.settings.timeout_seconds)),
                         retry_handlers=[])  # the worker retries, after Retry-After

    # --- inbound --------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        secret = secret_value(self.settings.signing_secret, "DESKROUTE_SLACK_SIGNING_SECRET")
        raw_ts = require(headers, TIMESTAMP_HEADER, max_chars=32)
        signature = require(headers, "X-Slack-Signature")
        # Checked here, before slack_sdk sees it: its verifier turns the timestamp into a
        # float, and 401 digits overflowed (a 500 for anyone, no secret needed).
        ts = timestamp(raw_ts, TIMESTAMP_HEADER)
        check_fresh(ts, REPLAY_WINDOW_SECONDS, self.clock.now(), TIMESTAMP_HEADER)
        try:  # slack_sdk decodes the body to sign it (a UnicodeDecodeError was a 500 too)
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("the body is not UTF-8: not a request from Slack") from None
        if not SignatureVerifier(secret, self.clock).is_valid(text, raw_ts, signature):
            raise SignatureError("X-Slack-Signature does not match")

    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        return read_event(load_json(body), self.settings.bot_user_id)

    # --- outbound -------------------------------------------------------------------------------

    def _where(self, reply: OutgoingReply) -> tuple[str, str, str]:
        """(channel, message ts, thread root ts) from the ticket's metadata or its ids."""
        meta = reply.metadata or {}
        channel, _, ts = reply.external_id.partition(":")
        root = (reply.thread_id or "").partition(":")[2]
        return (str(meta.get("slack_channel") or channel), str(meta.get("slack_ts") or ts),
                str(meta.get("slack_thread_ts") or root or ts))

    def _text(self, text: str) -> str:
        return escape(text)[: self.settings.max_text_chars]

    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        channel, _, root = self._where(reply)
        return self.deliver_with(lambda c: _result(lambda: c.chat_postMessage(
            channel=channel, thread_ts=root, text=self._text(reply.text),
            unfurl_links=False, unfurl_media=False), "chat.postMessage")[0])

    def _post_internal(self, c: WebClient, reply: OutgoingReply, *, tag: bool,
                       channel_override: str | None = None) -> DeliveryResult:
        target = channel_override or self.settings.escalation_channel
        if not target:
            return DeliveryResult(ok=False, error="DESKROUTE_SLACK_ESCALATION_CHANNEL is not set: "
                                                  "nowhere to hand the ticket to")
        channel, ts, _ = self._where(reply)
        got, resp = _result(lambda: c.chat_getPermalink(channel=channel, message_ts=ts),
                            "chat.getPermalink")
        if not got.ok and got.retryable:
            return got
        user = (reply.metadata or {}).get("slack_user")
        where = (f"<{resp['permalink']}|this message>" if got.ok and resp.get("permalink")
                 else f"message {ts} in <#{channel}>")
        head = f"<!subteam^{self.settings.oncall_group}> " if tag and self.settings.oncall_group \
            else ""
        who = f" from <@{user}>" if user else ""
        text = f"{head}Ticket {reply.ticket_id}{who} needs a person: {where}\n" \
               f"{self._text(reply.text)}"
        posted, _ = _result(lambda: c.chat_postMessage(
            channel=target, text=text[: self.settings.max_text_chars], unfurl_links=False),
            "chat.postMessage")
        return posted

    def note(self, reply: OutgoingReply) -> DeliveryResult:
        return self.deliver_with(lambda c: self._post_internal(c, reply, tag=False))

    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        override = target.group if target else None

        def run(c: WebClient) -> DeliveryResult:
            done = self._post_internal(c, reply, tag=True, channel_override=override)
            if done.ok and self.settings.escalation_ack:
                channel, _, root = self._where(reply)
                acked, _ = _result(lambda: c.chat_postMessage(
                    channel=channel, thread_ts=root, text=self._text(self.settings.escalation_ack)),
                    "chat.postMessage")
                if not acked.ok:  # the team has it; a re-sent escalation would post twice
                    log.warning("slack: escalation posted but the thread notice failed: %s",
                                acked.error)
            return done

        return self.deliver_with(run)
