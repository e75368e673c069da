"""One view of an inbound e-mail, whether it came as raw MIME (IMAP, ``message/rfc822``) or as
an inbound-parse service's JSON (Postmark), so one set of rules reads both.

Raw messages are parsed with the standard library's modern policy (headers decoded, RFC 2047
words joined); a part in an unknown charset is decoded as UTF-8 with replacement characters
instead of failing the whole message.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_MSG_ID = re.compile(r"<([^<>\s]+)>")
MAX_ATTACHMENT_NAMES = 20


@dataclass(frozen=True)
class Mail:
    """Headers in order (decoded), the plain and HTML bodies, attachment names."""

    headers: tuple[tuple[str, str], ...]
    text: str = ""
    html: str = ""
    attachments: tuple[str, ...] = ()
    digest: str = ""  # sha256 of the source: an id for a message that carries no Message-ID
    via: str = "imap"  # imap | postmark | mime
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [v for k, v in self.headers if k.lower() == wanted]

    @property
    def message_id(self) -> str | None:
        ids = message_ids(self.get("Message-ID") or "")
        return ids[0] if ids else None

    @property
    def in_reply_to(self) -> list[str]:
        return message_ids(self.get("In-Reply-To") or "")

    @property
    def references(self) -> list[str]:
        return message_ids(" ".join(self.all("References")))


def message_ids(value: str) -> list[str]:
    """The ``<id>``s in a Message-ID, In-Reply-To or References header, without brackets.

    A bare id without brackets (some mailers write one) is taken as it is.
    """
    found = _MSG_ID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip()]
    return found


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, ValueError):
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""


def from_bytes(raw: bytes, via: str = "imap") -> Mail:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    headers = []
    for key, value in msg.items():
        try:
            headers.append((key, " ".join(str(value).split())))
        except Exception:  # noqa: BLE001 - a header the parser cannot render: keep it raw
            headers.append((key, " ".join(str(msg.get_all(key, [""])[0]).split())))
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    names = []
    for part in msg.iter_attachments():
        name = part.get_filename()
        if name:
            names.append(name[:200])
    return Mail(
        headers=tuple(headers),
        text=_text_of(plain) if plain is not None else "",
        html=_text_of(html) if html is not None else "",
        attachments=tuple(names[:MAX_ATTACHMENT_NAMES]),
        digest=hashlib.sha256(raw).hexdigest(),
        via=via,
    )


# --- Postmark's inbound JSON ------------------------------------------------------------------


class PostmarkAddress(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Email: str = ""
    Name: str = ""


class PostmarkHeader(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Name: str
    Value: str = ""


class PostmarkAttachment(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Name: str = ""


class PostmarkInbound(BaseModel):
    """The fields of Postmark's inbound webhook that deskroute reads (its documented shape:
    https://postmarkapp.com/developer/webhooks/inbound-webhook); the rest is ignored."""

    model_config = ConfigDict(extra="ignore")
    From: str = ""
    FromFull: PostmarkAddress | None = None
    To: str = ""
    Cc: str = ""
    ReplyTo: str = ""
    Subject: str = ""
    Date: str = ""
    MessageID: str = Field(default="", description="Postmark's own id of the inbound message")
    TextBody: str = ""
    HtmlBody: str = ""
    StrippedTextReply: str = ""
    Headers: list[PostmarkHeader] = Field(default_factory=list)
    Attachments: list[PostmarkAttachment] = Field(default_factory=list)


def from_postmark(payload: PostmarkInbound, body: bytes) -> Mail:
    sender = payload.From
    if payload.FromFull and payload.FromFull.Email:
        name = payload.FromFull.Name.replace('"', "")
        sender = f'"{name}" <{payload.FromFull.Email}>' if name else payload.FromFull.Email
    top = [("From", sender), ("To", payload.To), ("Cc", payload.Cc),
           ("Reply-To", payload.ReplyTo), ("Subject", payload.Subject), ("Date", payload.Date)]
    seen = {k.lower() for k, v in top if v}
    headers = [(k, " ".join(v.split())) for k, v in top if v]  # one line each, as parsed
    # Postmark lists the remaining headers (Message-ID, In-Reply-To, References, Auto-Submitted…)
    headers += [(h.Name, " ".join(h.Value.split())) for h in payload.Headers
                if h.Name.lower() not in seen]
    return Mail(
        headers=tuple(headers), text=payload.TextBody, html=payload.HtmlBody,
        attachments=tuple(a.Name[:200] for a in payload.Attachments if a.Name)[
            :MAX_ATTACHMENT_NAMES],
        digest=hashlib.sha256(body).hexdigest(), via="postmark",
        extra={"postmark_id": payload.MessageID} if payload.MessageID else {},
    )
