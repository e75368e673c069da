"""The e-mail connector: a support mailbox in (IMAP polling or an inbound-parse webhook),
SMTP out.

Inbound webhook: Postmark's inbound JSON (``POST /email/inbound``), or any raw message posted
as ``message/rfc822`` (a mail server's pipe, a test). Postmark has no request signature; its
documented protection is HTTP basic auth in the webhook URL
(``https://deskroute:<password>@host/email/inbound``), checked here in constant time against
``DESKROUTE_EMAIL_INBOUND_USER`` / ``_PASSWORD``. Without a password every request is refused.

IMAP is read by ``deskroute email poll`` (``router/mailbox_poll.py``), which hands each raw
message to :meth:`EmailConnector.read_raw`: the same rules as the webhook.

Outbound (``connectors/email/outgoing.py``): a reply in the customer's thread; an escalation
or a suggested draft forwarded to ``DESKROUTE_EMAIL_ESCALATE_TO``. SMTP failures come back as
``DeliveryResult`` (retryable when transient), so a reply is never lost.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from email.message import EmailMessage

from connectors.base import (
    Connector,
    DeliveryResult,
    EscalationTarget,
    Inbound,
    SignatureError,
)
from connectors.email import smtp
from connectors.email.imap import Inbox
from connectors.email.inbound import read_mail
from connectors.email.message import PostmarkInbound, from_bytes, from_postmark
from connectors.email.outgoing import reply_message, team_message
from connectors.email.settings import EmailSettings
from connectors.payload import load_json
from connectors.vendor import validated
from connectors.webhook_auth import header, secret_value
from router.domain import OutgoingReply

RAW_TYPES = ("message/rfc822",)


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


class EmailConnector(Connector):
    name = "email"
    settings_class = EmailSettings
    idempotent_delivery = True  # the same Message-ID on every attempt (connectors/email/ids.py)
    # a malformed Postmark payload's 422 names Postmark's field
    payload_fields = {"body": "TextBody", "subject": "Subject", "requester": "From",
                      "external_id": "Message-ID"}

    def __init__(self, settings: EmailSettings | None = None) -> None:
        self.settings = settings or EmailSettings()

    @property
    def max_body_bytes(self) -> int:
        """Inbound-parse services post attachments inline: a larger limit than other hooks."""
        return self.settings.email_inbound_max_bytes

    # --- inbound --------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        password = secret_value(self.settings.email_inbound_password,
                                "DESKROUTE_EMAIL_INBOUND_PASSWORD")
        value = header(headers, "Authorization")
        scheme, _, token = (value or "").partition(" ")
        if scheme.lower() != "basic" or not token:
            raise SignatureError("missing or malformed Authorization header (HTTP basic auth)")
        try:
            user, sep, given = base64.b64decode(token.strip(), validate=True).decode(
                "utf-8").partition(":")
        except (binascii.Error, ValueError):
            raise SignatureError("Authorization is not valid basic auth") from None
        user_ok = _equal(user, self.settings.email_inbound_user)
        if not (sep and _equal(given, password) and user_ok):
            raise SignatureError("wrong user or password in the basic auth")

    def parse(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        ctype = (header(headers, "Content-Type") or "").split(";")[0].strip().lower()
        if ctype in RAW_TYPES:
            return read_mail(from_bytes(body, via="mime"), self.settings)
        payload = validated(PostmarkInbound, load_json(body))
        return read_mail(from_postmark(payload, body), self.settings)

    def read_raw(self, raw: bytes) -> Inbound:
        """A message fetched from the IMAP folder."""
        return read_mail(from_bytes(raw, via="imap"), self.settings)

    def inbox(self) -> Inbox:
        return Inbox(self.settings)

    # --- outbound -------------------------------------------------------------------------------

    def _send(self, compose: Callable[[], EmailMessage]) -> DeliveryResult:
        try:
            msg = compose()
        except LookupError as exc:  # no From, no escalation address, no customer address
            return DeliveryResult(ok=False, error=str(exc))
        except ValueError as exc:  # a header the stored ticket cannot make (a bad address)
            return DeliveryResult(ok=False, error=f"cannot compose the mail: {exc}")
        return smtp.send(self.settings, msg)

    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        return self._send(lambda: reply_message(self.settings, reply))

    def note(self, reply: OutgoingReply) -> DeliveryResult:
        return self._send(lambda: team_message(self.settings, reply, "note"))

    def escalate(
        self, reply: OutgoingReply, target: EscalationTarget | None = None
    ) -> DeliveryResult:
        settings = self.settings
        if target is not None and target.group and "@" in target.group:
            settings = settings.model_copy(update={"email_escalate_to": target.group})
        return self._send(lambda: team_message(settings, reply, "escalation"))
