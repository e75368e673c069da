"""E-mail settings: the IMAP inbox, the SMTP relay, our address and the escalation address.

The names follow the servers, not the connector (``DESKROUTE_IMAP_URL``, ``DESKROUTE_SMTP_URL``,
``DESKROUTE_EMAIL_FROM`` …). A server URL names how to reach it: ``imaps://`` / ``smtps://``
(TLS from the first byte), ``imap+starttls://`` / ``smtp+starttls://`` (upgraded with
STARTTLS, refused if the server does not offer it) or ``imap://`` / ``smtp://`` (no TLS: only
for a relay on this machine, because a password would cross the network in clear). The IMAP
URL's path is the folder to read (``imaps://imap.example.com/Support``; INBOX by default).

Credentials never travel in the URL (it ends up in logs and process lists): the user and
password have their own variables. Mailbox passwords are the mail provider's, so they are not
held to deskroute's secret rules; the inbound-parse password is ours and is.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.secrets import check_secret

TLS = Literal["ssl", "starttls", "none"]
_SCHEMES: dict[str, dict[str, tuple[TLS, int]]] = {
    "imap": {"imaps": ("ssl", 993), "imap+starttls": ("starttls", 143), "imap": ("none", 143)},
    "smtp": {"smtps": ("ssl", 465), "smtp+starttls": ("starttls", 587), "smtp": ("none", 25)},
}


@dataclass(frozen=True)
class MailServer:
    """A parsed ``DESKROUTE_IMAP_URL`` / ``DESKROUTE_SMTP_URL`` (no credentials in it)."""

    kind: str  # imap | smtp
    tls: TLS
    host: str
    port: int
    folder: str = "INBOX"  # IMAP only

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:  # what logs and errors show
        scheme = next(s for s, (t, _) in _SCHEMES[self.kind].items() if t == self.tls)
        tail = f"/{self.folder}" if self.kind == "imap" else ""
        return f"{scheme}://{self.host}:{self.port}{tail}"


def parse_server(url: str, kind: str) -> MailServer:
    """``MailServer`` from a URL, or ``ValueError`` saying what is wrong with it."""
    parts = urlsplit(url.strip())
    schemes = _SCHEMES[kind]
    if parts.scheme not in schemes:
        raise ValueError(f"scheme must be one of {', '.join(s + '://' for s in schemes)} "
                         f"(got {parts.scheme or 'none'!r})")
    if parts.username is not None or parts.password is not None:
        var = kind.upper()
        raise ValueError(f"put the user and password in DESKROUTE_{var}_USER and "
                         f"DESKROUTE_{var}_PASSWORD, not in the URL")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad port: {exc}") from None
    if not parts.hostname:
        raise ValueError("the URL names no host")
    tls, default_port = schemes[parts.scheme]
    folder = unquote(parts.path.strip("/")) or "INBOX"
    if kind == "smtp" and parts.path.strip("/"):
        raise ValueError("an SMTP URL has no path")
    if parts.query or parts.fragment:
        raise ValueError("the URL takes no query or fragment")
    return MailServer(kind=kind, tls=tls, host=parts.hostname, port=port or default_port,
                      folder=folder)


def address_of(value: str) -> str:
    """The bare, lower-cased address of ``Name <addr@host>`` (empty when there is none)."""
    return parseaddr(value)[1].strip().lower()


def _check_addresses(value: str | None, many: bool) -> str | None:
    if value is None or not value.strip():
        return None
    found = [a for _, a in getaddresses([value]) if a]
    if not found or any("@" not in a or a.startswith("@") or a.endswith("@") for a in found):
        raise ValueError(f"{value!r} is not an e-mail address")
    if len(found) > 1 and not many:
        raise ValueError("give one address")
    return value.strip()


class EmailSettings(BaseSettings):
    # an empty variable (docker-compose's ${VAR:-}) counts as unset
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_", env_file=None, extra="ignore",
                                      env_ignore_empty=True)

    # inbound: the mailbox deskroute polls (``deskroute email poll``)
    imap_url: str | None = None  # imaps://imap.example.com[:993][/FOLDER]
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_poll_seconds: float = Field(default=60.0, ge=1.0)  # between polls
    imap_batch: int = Field(default=25, ge=1, le=500)  # messages per fetch and per commit
    imap_mark_seen: bool = True  # flag messages that became tickets \Seen after the commit
    # outbound: replies to customers and forwards to the team
    smtp_url: str | None = None  # smtps://smtp.example.com[:465]
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    email_from: str | None = None  # "Acme Support <support@acme.example>"
    email_escalate_to: str | None = None  # one or more addresses, comma-separated
    # agents who answer customers from their own address (copying the support mailbox): their
    # mail in a conversation is agent feedback, never a customer's follow-up. Addresses or
    # ``@domain`` (every address there), comma-separated; the support address always counts
    email_agent_addresses: str | None = None
    email_timeout_seconds: float = Field(default=30.0, gt=0)
    email_ca_file: str | None = None  # a private CA for the mail servers' certificates
    # inbound-parse webhook (Postmark): HTTP basic auth in the webhook URL
    email_inbound_user: str = Field(default="deskroute", min_length=1)
    email_inbound_password: SecretStr | None = None
    email_inbound_max_bytes: int = Field(default=40_000_000, ge=65_536)  # attachments inline

    check_secrets = check_secret("email_inbound_password")

    @field_validator("imap_url", "smtp_url")
    @classmethod
    def _server_url(cls, value: str | None, info) -> str | None:  # type: ignore[no-untyped-def]
        if value is None or not value.strip():
            return None
        parse_server(value, info.field_name.split("_")[0])
        return value.strip()

    @field_validator("email_from")
    @classmethod
    def _one_address(cls, value: str | None) -> str | None:
        return _check_addresses(value, many=False)

    @field_validator("email_escalate_to")
    @classmethod
    def _addresses(cls, value: str | None) -> str | None:
        return _check_addresses(value, many=True)

    @field_validator("email_agent_addresses")
    @classmethod
    def _agents(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        for item in (i.strip() for i in value.split(",")):
            if item.startswith("@"):
                ok = "." in item and "@" not in item[1:] and not any(c.isspace() for c in item)
            else:
                local, _, host = address_of(item).rpartition("@")
                ok = bool(local and host)
            if not ok:
                raise ValueError(f"{item!r} is neither an e-mail address nor @domain")
        return value.strip()

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> EmailSettings:
        for kind, password in (("imap", self.imap_password), ("smtp", self.smtp_password)):
            server = self.server(kind)
            if server and password and server.tls == "none" and not server.loopback:
                raise ValueError(
                    f"DESKROUTE_{kind.upper()}_URL uses {kind}:// to {server.host}: the password "
                    f"would cross the network in clear; use {kind}s:// or {kind}+starttls://")
        return self

    def server(self, kind: str) -> MailServer | None:
        url = self.imap_url if kind == "imap" else self.smtp_url
        return parse_server(url, kind) if url else None

    @property
    def from_address(self) -> str:
        return address_of(self.email_from or "")

    @property
    def domain(self) -> str:
        """Our Message-IDs' right-hand side: the From address's domain."""
        return self.from_address.rpartition("@")[2] or "deskroute.invalid"

    @property
    def escalate_addresses(self) -> list[str]:
        return [a.lower() for _, a in getaddresses([self.email_escalate_to or ""]) if a]

    def is_agent(self, address: str) -> bool:
        """Whether mail from ``address`` (bare, lower-case) is the team answering a customer:
        the support address itself, or one of ``DESKROUTE_EMAIL_AGENT_ADDRESSES``."""
        if not address or "@" not in address:
            return False
        listed = self.agent_addresses
        return address in {self.from_address, *listed} - {""} or \
            "@" + address.rpartition("@")[2] in listed

    @property
    def agent_addresses(self) -> set[str]:
        """``DESKROUTE_EMAIL_AGENT_ADDRESSES``: bare lower-case addresses and ``@domain``s."""
        items = (i.strip() for i in (self.email_agent_addresses or "").split(","))
        return {i.lower() if i.startswith("@") else address_of(i) for i in items if i}
