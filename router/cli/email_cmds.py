"""``deskroute email``: poll the support mailbox (IMAP) and check the mail settings."""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from router.cli.output import console, emit_json, err_console, fail, kv_table

app = typer.Typer(help="The support mailbox: poll it (IMAP), check the settings.",
                  no_args_is_help=True)

_DB = typer.Option(None, "--database-url", help="Override DESKROUTE_DATABASE_URL.")


def _connector() -> Any:
    from connectors.email.connector import EmailConnector
    from connectors.email.settings import EmailSettings

    settings = EmailSettings()  # a bad value stops here with one line naming the variable
    if settings.server("imap") is None:
        fail("DESKROUTE_IMAP_URL is not set (e.g. imaps://imap.example.com/INBOX)")
    if not settings.imap_user or settings.imap_password is None:
        fail("set DESKROUTE_IMAP_USER and DESKROUTE_IMAP_PASSWORD")
    if settings.server("smtp") is None or not settings.email_from:
        err_console.print("[yellow]warning:[/] DESKROUTE_SMTP_URL or DESKROUTE_EMAIL_FROM is "
                          "not set: tickets are stored but replies will fail until they are")
    return EmailConnector(settings)


def _summary(r: Any) -> str:
    parts = [f"{len(r.created)} new ticket(s)"]
    if r.duplicates:
        parts.append(f"{r.duplicates} already stored")
    if r.ignored:
        parts.append(f"{len(r.ignored)} ignored")
    if r.refused:
        parts.append(f"{len(r.refused)} refused")
    return f"{r.mailbox}: read {r.fetched} from {r.start}: " + ", ".join(parts)


def _print(r: Any) -> None:
    console.print(_summary(r), highlight=False, soft_wrap=True)  # one line each, for logs
    for item in r.ignored + r.refused:
        console.print(f"  uid {item['uid']} {item['message_id'] or ''}: {item['reason']}",
                      highlight=False, soft_wrap=True)


@app.command("poll")
def poll(
    once: bool = typer.Option(False, "--once", help="One pass, then exit (cron, tests)."),
    interval: float = typer.Option(
        None, "--interval", min=1.0,
        help="Seconds between passes (default DESKROUTE_IMAP_POLL_SECONDS, 60)."),
    json_out: bool = typer.Option(False, "--json", help="Print each pass as JSON."),
    database_url: str | None = _DB,
) -> None:
    """Read new mail from the IMAP folder into tickets; replies go out over SMTP.

    Run it beside `deskroute serve` (or the Celery workers), which answer the tickets.
    A message is never read twice or skipped, also across a crash (see README "E-mail").
    Exits 2 when the mailbox or the store cannot be used on a `--once` pass.
    """
    import imaplib

    from imap_tools.errors import ImapToolsError

    from connectors.email.imap import InboxError
    from router.logs import configure_logging
    from router.mailbox_poll import poll_forever, poll_once
    from router.settings import StoreSettings
    from router.store.migrate import ensure_ready

    connector = _connector()
    ensure_ready(database_url or StoreSettings().database_url)  # mail_cursors must exist
    if once:
        try:
            if json_out:
                result = poll_once(connector, url=database_url)
            else:
                from rich.progress import Progress

                with Progress(console=err_console, transient=True) as bar:
                    task = bar.add_task("reading mail", total=None)
                    result = poll_once(connector, url=database_url,
                                       on_batch=lambda done, total: bar.update(
                                           task, completed=done, total=total))
        except InboxError as exc:
            fail(str(exc))
        except (ImapToolsError, imaplib.IMAP4.error, OSError) as exc:  # the session broke
            fail(f"imap {connector.settings.server('imap')}: {type(exc).__name__}: {exc}")
        if json_out:
            emit_json(result.as_dict())
        else:
            _print(result)
        return
    configure_logging(default="text")
    server = connector.settings.server("imap")
    wait = interval or connector.settings.imap_poll_seconds
    err_console.print(f"polling {server} every {wait:g} s; Ctrl-C to stop", highlight=False)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    def report(r: Any) -> None:
        if json_out:
            emit_json(r.as_dict())
        elif r.fetched:  # quiet while nothing arrives
            _print(r)

    try:
        poll_forever(connector, url=database_url, interval=wait, stop=stop, on_result=report)
    except KeyboardInterrupt:
        pass


@app.command("check")
def check(json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Log in to the IMAP folder and the SMTP server (nothing is read, flagged or sent).

    Exits 1 when either fails.
    """
    import smtplib

    from connectors.email.imap import Inbox
    from connectors.email.settings import EmailSettings
    from connectors.email.smtp import _connect

    settings = EmailSettings()
    checks: dict[str, Any] = {}
    ok = True
    try:
        with Inbox(settings) as inbox:
            st = inbox.state()
            checks["imap"] = (f"{inbox.server} ok: {st.messages} messages, {st.unseen} unseen, "
                              f"UIDVALIDITY {st.uidvalidity}")
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        ok, checks["imap"] = False, f"failed: {exc}"
    server = settings.server("smtp")
    if server is None:
        ok, checks["smtp"] = False, "failed: DESKROUTE_SMTP_URL is not set"
    else:
        try:
            client = _connect(server, settings)
            try:
                if settings.smtp_user:
                    pw = settings.smtp_password.get_secret_value() if settings.smtp_password \
                        else ""
                    client.login(settings.smtp_user, pw)
            finally:
                client.quit()
            checks["smtp"] = f"{server} ok" + (" (logged in)" if settings.smtp_user else "")
        except smtplib.SMTPAuthenticationError as exc:
            ok, checks["smtp"] = False, (f"failed: {server} refused the login "
                                         f"({exc.smtp_code}): check DESKROUTE_SMTP_USER and "
                                         f"DESKROUTE_SMTP_PASSWORD")
        except Exception as exc:  # noqa: BLE001
            ok, checks["smtp"] = False, f"failed: {server}: {type(exc).__name__}: {exc}"
    checks["from"] = settings.email_from or "failed: DESKROUTE_EMAIL_FROM is not set"
    checks["escalate to"] = settings.email_escalate_to or \
        "not set: escalations cannot be forwarded (DESKROUTE_EMAIL_ESCALATE_TO)"
    ok = ok and bool(settings.email_from)
    if json_out:
        emit_json({"ok": ok, **checks})
    else:
        console.print(kv_table("E-mail", checks))
    if not ok:
        raise typer.Exit(1)
