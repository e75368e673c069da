"""Slack Events API payloads → what deskroute does with them.

Read: ``app_mention`` (someone writes ``@deskroute …`` in a channel the app is in) and
``message`` events in direct messages (``message.im``). Everything else authentic is ignored
with a reason: bots (any ``bot_id``/``bot_profile``, so two bots never talk to each other),
deskroute's own posts, edits and deletions (``message_changed``/``message_deleted``) and other
subtypes, channel messages that do not mention the app (their mention arrives as its own
``app_mention`` event), and envelope types other than ``event_callback``.

Dedupe key: ``<channel>:<ts>`` — the message itself, so Slack's retries (same ``event_id``,
``X-Slack-Retry-Num`` ≥ 1) and a mention delivered twice are one ticket. ``thread_id`` is
``<channel>:<thread root ts>``: a reply in the thread of an earlier question is a follow-up.
"""

from __future__ import annotations

import html
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import FollowUp, Handshake, Ignored, Inbound, NewTicket, PayloadError
from connectors.vendor import validated
from router.domain import InboundTicket

READ_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
_SPECIAL = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


class Authorization(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user_id: str | None = None
    is_bot: bool = False


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = Field(min_length=1)
    subtype: str | None = None
    channel: str | None = None
    channel_type: str | None = None
    user: str | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    bot_profile: dict[str, Any] | None = None
    team: str | None = None


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = Field(min_length=1)
    challenge: str | None = None
    team_id: str | None = None
    event_id: str | None = None
    event: Event | None = None
    authorizations: list[Authorization] = Field(default_factory=list)


def plain_text(text: str, own_user: str | None) -> str:
    """Slack ``mrkdwn`` as a person reads it: our own mention removed, ``<@U1>`` → ``@U1``,
    ``<#C1|help>`` → ``#help``, ``<https://x|docs>`` → ``docs (https://x)``, entities unescaped."""

    def one(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "" if own_user and target[1:] == own_user else f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            name = target[1:].split("^")[0]
            return label or f"@{name}"
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_SPECIAL.sub(one, text)).strip()


def own_user_id(env: Envelope, configured: str | None) -> str | None:
    """The app's bot user: the setting, else the bot among the event's ``authorizations``."""
    if configured:
        return configured
    bots = [a.user_id for a in env.authorizations if a.is_bot and a.user_id]
    return bots[0] if bots else None


def read_event(raw: Any, bot_user_id: str | None) -> Inbound:
    env = validated(Envelope, raw)
    if env.type == "url_verification":
        if not env.challenge:
            raise PayloadError("challenge", "missing in a url_verification request")
        return Handshake({"challenge": env.challenge})
    if env.type != "event_callback":
        return Ignored(f"envelope type {env.type} is not read", env.type)
    ev = env.event
    if ev is None:
        raise PayloadError("event", "missing in an event_callback")
    kind = ev.type if ev.type != "message" else f"message.{ev.channel_type or 'unknown'}"
    if ev.type not in ("app_mention", "message"):
        return Ignored(f"event type {ev.type} is not read", kind)
    if ev.type == "message" and ev.channel_type != "im":
        return Ignored("channel messages are read only when they mention the app", kind)
    if ev.subtype == "message_changed":
        return Ignored("an edit of an earlier message", kind)
    if ev.subtype not in READ_SUBTYPES:
        return Ignored(f"message subtype {ev.subtype} is not read", kind)
    if ev.bot_id or ev.bot_profile:
        return Ignored("a bot's message", kind)
    own = own_user_id(env, bot_user_id)
    if own and ev.user == own:
        return Ignored("deskroute's own message", kind)
    if not (ev.channel and ev.ts and ev.user):
        field = "channel" if not ev.channel else "ts" if not ev.ts else "user"
        raise PayloadError(f"event.{field}", "missing in a message event")
    text = plain_text(ev.text or "", own)
    if not text:
        return Ignored("message has no text to answer", kind)
    root = ev.thread_ts or ev.ts
    ticket = InboundTicket(
        source="slack", external_id=f"{ev.channel}:{ev.ts}", body=text, channel="slack",
        requester=ev.user, thread_id=f"{ev.channel}:{root}",
        metadata={k: v for k, v in {
            "slack_channel": ev.channel, "slack_ts": ev.ts, "slack_thread_ts": root,
            "slack_event_id": env.event_id, "slack_event": kind, "slack_user": ev.user,
            "slack_team": env.team_id or ev.team,
        }.items() if v},
    )
    return FollowUp(ticket) if ev.thread_ts and ev.thread_ts != ev.ts else NewTicket(ticket)
