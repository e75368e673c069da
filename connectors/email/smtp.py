"""Sending one mail over SMTP (``smtplib``), as the core's ``DeliveryResult``.

A connection per mail: deliveries are minutes apart and a kept connection would time out.
Transient failures are retryable (the worker re-queues with back-off; nothing is lost): no
connection, a timeout, a dropped session, a 4xx answer (greylisting, "try again later").
Permanent ones are not: 5xx (unknown recipient, relay refused), a refused login, a
certificate that does not verify. Errors name the server and the SMTP answer, never the
password (``smtplib`` does not echo it; no debug output is enabled).

A session that drops after the message data was sent may or may not have delivered it; the
retry then sends the same Message-ID (derived from the ticket), which mail systems
recognise as one message.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses

from connectors.base import DeliveryResult
from connectors.email.settings import EmailSettings, MailServer


def tls_context(settings: EmailSettings) -> ssl.SSLContext:
    """Certificate-checking TLS (system CAs, or ``DESKROUTE_EMAIL_CA_FILE``)."""
    return ssl.create_default_context(cafile=settings.email_ca_file or None)


def _connect(server: MailServer, settings: EmailSettings) -> smtplib.SMTP:
    timeout = settings.email_timeout_seconds
    if server.tls == "ssl":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout,
                                context=tls_context(settings))
    client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    if server.tls == "starttls":
        client.ehlo()
        if not client.has_extn("starttls"):
            client.close()
            raise smtplib.SMTPNotSupportedError(
                f"{server} does not offer STARTTLS; use smtps:// or check the port")
        client.starttls(context=tls_context(settings))
        client.ehlo()
    return client


def _short(value: object, limit: int = 200) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def recipients(msg: EmailMessage) -> list[str]:
    return [a for _, a in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if a]


def send(settings: EmailSettings, msg: EmailMessage) -> DeliveryResult:
    """Send ``msg``; never raises for a mail-server failure."""
    server = settings.server("smtp")
    if server is None:
        return DeliveryResult(ok=False, error="SMTP not configured: set DESKROUTE_SMTP_URL")
    where = f"smtp {server}"
    try:
        client = _connect(server, settings)
        try:
            if settings.smtp_user:
                password = settings.smtp_password.get_secret_value() \
                    if settings.smtp_password else ""
                client.login(settings.smtp_user, password)
            refused = client.send_message(msg, from_addr=settings.from_address,
                                          to_addrs=recipients(msg))
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except smtplib.SMTPAuthenticationError as exc:
        return DeliveryResult(ok=False, status_code=exc.smtp_code, error=(
            f"{where} refused the login ({exc.smtp_code}): check DESKROUTE_SMTP_USER and "
            f"DESKROUTE_SMTP_PASSWORD"))
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{addr}: {code} {_short(text, 80)}"
                           for addr, (code, text) in exc.recipients.items())
        return DeliveryResult(ok=False, status_code=codes[0] if codes else None,
                              error=f"{where} refused the recipients: {detail}",
                              retryable=bool(codes) and all(400 <= c < 500 for c in codes))
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, HELO refused
        return DeliveryResult(ok=False, status_code=exc.smtp_code,
                              error=f"{where} answered {exc.smtp_code}: {_short(exc.smtp_error)}",
                              retryable=400 <= exc.smtp_code < 500)
    except smtplib.SMTPNotSupportedError as exc:
        return DeliveryResult(ok=False, error=f"{where}: {_short(exc)}")
    except ssl.SSLCertVerificationError as exc:
        return DeliveryResult(ok=False, error=(
            f"{where}: certificate not trusted ({_short(exc.verify_message)}); set "
            f"DESKROUTE_EMAIL_CA_FILE for a private CA"))
    except (smtplib.SMTPException, OSError) as exc:  # refused, timeout, dropped, TLS failure
        return DeliveryResult(ok=False, error=f"{where}: {type(exc).__name__}: {_short(exc)}",
                              retryable=True)
    if refused:  # accepted for some recipients only: the team address list is partly wrong
        detail = "; ".join(f"{addr}: {code}" for addr, (code, _) in refused.items())
        return DeliveryResult(ok=True, status_code=250, vendor_ref=str(msg["Message-ID"]),
                              error=f"some recipients refused: {detail}")
    return DeliveryResult(ok=True, status_code=250, vendor_ref=str(msg["Message-ID"]))
