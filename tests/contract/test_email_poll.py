"""IMAP polling against a real Dovecot on 127.0.0.1: where a poll starts, what it ignores,
threads, a crash between fetching and committing (a real SIGKILL), UIDVALIDITY changes,
the CLI, and no password in any output. The store is SQLite, and PostgreSQL for the crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.email.connector import EmailConnector
from connectors.email.settings import EmailSettings
from router.cli.main import app
from router.mailbox_poll import poll_once
from router.store import models as m
from router.store.db import unit_of_work
from tests.conftest import REPO
from tests.contract.fakes import mail as fm

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _settings(imap: fm.Dovecot, folder: str = "INBOX", **over: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "imap_url": imap.url.replace("/INBOX", f"/{folder}"), "imap_user": fm.IMAP_USER,
        "imap_password": fm.IMAP_PASSWORD, "email_from": fm.FROM,
        "email_escalate_to": fm.ESCALATE_TO, "email_timeout_seconds": 10, "imap_batch": 2,
    }
    return EmailSettings(**{**values, **over})


def _env(imap: fm.Dovecot, url: str) -> dict[str, str]:
    return {"DESKROUTE_DATABASE_URL": url, "DESKROUTE_IMAP_URL": imap.url,
            "DESKROUTE_IMAP_USER": fm.IMAP_USER, "DESKROUTE_IMAP_PASSWORD": fm.IMAP_PASSWORD,
            "DESKROUTE_IMAP_BATCH": "2", "DESKROUTE_EMAIL_FROM": fm.FROM,
            "DESKROUTE_SMTP_URL": "smtp://127.0.0.1:2525"}


def _tickets(url: str) -> list[m.Ticket]:
    with unit_of_work(url) as s:
        return list(s.scalars(select(m.Ticket).order_by(m.Ticket.id)))


def test_first_poll_reads_unseen_mail_then_only_what_arrives(imap: fm.Dovecot,
                                                             sqlite_url: str) -> None:
    conn = EmailConnector(_settings(imap))
    imap.deliver(fm.mail("An old question someone already answered.",
                         message_id="old@customer.example"), seen=True)
    u1 = imap.deliver(fm.mail("Do you accept PayPal?", message_id="new-1@customer.example"))
    first = poll_once(conn, url=sqlite_url)
    assert [t.external_id for t in _tickets(sqlite_url)] == ["new-1@customer.example"]
    assert first.start.startswith("unseen") and len(first.created) == 1
    assert u1 in imap.seen()  # flagged for the people sharing the mailbox, after the commit
    again = poll_once(conn, url=sqlite_url)
    assert again.fetched == 0 and again.created == [] and again.start == f"after UID {u1}"
    later = [imap.deliver(fm.mail(f"Question {i}", message_id=f"n{i}@customer.example"))
             for i in range(3)]  # more than one batch (imap_batch=2)
    third = poll_once(conn, url=sqlite_url)
    assert third.fetched == 3 and len(third.created) == 3 and third.last_uid == later[-1]
    assert len(_tickets(sqlite_url)) == 4
    assert all(t.state == "received" and t.source == "email" for t in _tickets(sqlite_url))
    with unit_of_work(sqlite_url) as s:  # each new ticket waits for the workers
        assert s.scalar(select(m.OutboxRow).where(m.OutboxRow.task == "decide")) is not None


def test_auto_replies_and_bounces_are_ignored_and_left_unread(imap: fm.Dovecot,
                                                              sqlite_url: str) -> None:
    conn = EmailConnector(_settings(imap))
    poll_once(conn, url=sqlite_url)  # the folder is known from here on
    ooo = imap.deliver(fm.mail("I am out of office until Monday.",
                               headers={"Auto-Submitted": "auto-replied"}))
    bounce = imap.deliver(fm.mail("Delivery to the following recipient failed permanently.",
                                  sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>"))
    ours = imap.deliver(fm.mail("Yes, we accept PayPal.", sender=fm.FROM))
    real = imap.deliver(fm.mail("Where is my order?"))
    result = poll_once(conn, url=sqlite_url)
    assert [t.body for t in _tickets(sqlite_url)] == ["Where is my order?"]
    reasons = {i["uid"]: i["reason"] for i in result.ignored}
    assert set(reasons) == {ooo, bounce, ours}
    assert "Auto-Submitted" in reasons[ooo] and "mailer-daemon" in reasons[bounce]
    assert "own" in reasons[ours]
    assert imap.seen() == {real}  # ignored mail stays unread for a person to look at


def test_a_reply_in_the_thread_is_a_follow_up_with_the_same_thread_id(
        imap: fm.Dovecot, sqlite_url: str) -> None:
    conn = EmailConnector(_settings(imap))
    imap.deliver(fm.mail("Is the blue kettle in stock?", subject="Kettle",
                         message_id="k1@customer.example"))
    poll_once(conn, url=sqlite_url)
    imap.deliver(fm.mail("Sorry, I meant the red one.\n\nOn Tue, Ann wrote:\n> blue kettle",
                         subject="Re: Kettle", message_id="k2@customer.example",
                         in_reply_to="k1@customer.example",
                         references=["k1@customer.example"]))
    poll_once(conn, url=sqlite_url)
    first, follow = _tickets(sqlite_url)
    assert follow.thread_id == first.thread_id and follow.body == "Sorry, I meant the red one."
    assert follow.subject == "Kettle"


_POLL = """
import os, signal
import router.mailbox_poll as poll
from connectors.email.imap import Inbox
{patch}
from router.cli.main import app
app(["email", "poll", "--once", "--json"])
"""
# the batch is fetched and stored (flushed), then the process dies before the commit
KILL_BEFORE_COMMIT = """
real = poll.store_batch
def crash(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
poll.store_batch = crash
"""
# the batch is committed; the process dies while flagging it \\Seen
KILL_AFTER_COMMIT = "Inbox.mark_seen = lambda self, uids: os.kill(os.getpid(), signal.SIGKILL)"


def _poll_process(imap: fm.Dovecot, url: str, patch: str = "",
                  ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_env(imap, url), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", _POLL.format(patch=patch)], env=env, cwd=REPO,
                          text=True, capture_output=True, timeout=120)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_crash_between_fetch_and_commit_loses_nothing_and_stores_nothing_twice(
        imap: fm.Dovecot, store: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if store == "sqlite" else "pg_url")
    poll_once(EmailConnector(_settings(imap)), url=url)  # cursor at the (empty) folder's top
    uids = [imap.deliver(fm.mail(f"Question {i}?", message_id=f"c{i}@customer.example"))
            for i in range(3)]
    killed = _poll_process(imap, url, KILL_BEFORE_COMMIT)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _tickets(url) == [] and imap.seen() == set()  # nothing committed, nothing flagged

    done = _poll_process(imap, url)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["fetched"] == 3 and len(result["created"]) == 3 and result["duplicates"] == 0
    assert sorted(t.external_id for t in _tickets(url)) == [f"c{i}@customer.example"
                                                            for i in range(3)]
    assert imap.seen() == set(uids)
    again = _poll_process(imap, url)
    assert json.loads(again.stdout)["fetched"] == 0 and len(_tickets(url)) == 3


def test_a_crash_after_the_commit_but_before_flagging_reads_nothing_again(
        imap: fm.Dovecot, sqlite_url: str) -> None:
    poll_once(EmailConnector(_settings(imap)), url=sqlite_url)
    imap.deliver(fm.mail("Question?", message_id="after-commit@customer.example"))
    killed = _poll_process(imap, sqlite_url, KILL_AFTER_COMMIT)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert [t.external_id for t in _tickets(sqlite_url)] == ["after-commit@customer.example"]
    assert imap.seen() == set()
    result = poll_once(EmailConnector(_settings(imap)), url=sqlite_url)
    assert result.fetched == 0 and len(_tickets(sqlite_url)) == 1


def test_a_new_uidvalidity_rereads_the_folder_without_duplicating(imap: fm.Dovecot,
                                                                  sqlite_url: str) -> None:
    imap.recreate("Support")
    conn = EmailConnector(_settings(imap, folder="Support"))
    kept = fm.mail("Can I change my delivery address?", message_id="uv1@customer.example")
    imap.deliver(kept, folder="Support")
    poll_once(conn, url=sqlite_url)
    before = imap.status("Support")["UIDVALIDITY"]
    # The folder is rebuilt (a restore, a server migration): every UID changes meaning.
    imap.recreate("Support")
    imap.deliver(kept, folder="Support", seen=True)
    imap.deliver(fm.mail("And my invoice address?", message_id="uv2@customer.example"),
                 folder="Support", seen=True)
    assert imap.status("Support")["UIDVALIDITY"] != before
    result = poll_once(conn, url=sqlite_url)
    assert "UIDVALIDITY changed" in result.start
    assert result.fetched == 2 and len(result.created) == 1 and result.duplicates == 1
    assert [t.external_id for t in _tickets(sqlite_url)] == ["uv1@customer.example",
                                                             "uv2@customer.example"]
    assert poll_once(conn, url=sqlite_url).fetched == 0


def test_cli_poll_once_json_and_check(imap: fm.Dovecot, sqlite_url: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _env(imap, sqlite_url).items():
        monkeypatch.setenv(key, value)
    imap.deliver(fm.mail("Do you ship to Norway?", message_id="cli@customer.example"))
    runner = CliRunner()
    out = runner.invoke(app, ["email", "poll", "--once", "--json"])
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.stdout)["created"]) == 1
    checked = runner.invoke(app, ["email", "check", "--json"])
    report = json.loads(checked.stdout)
    assert report["imap"].startswith(f"imap://127.0.0.1:{imap.port}/INBOX ok: 1 messages")
    assert report["smtp"].startswith("failed") and checked.exit_code == 1  # no SMTP server
    for text in (out.output, checked.output):
        assert fm.IMAP_PASSWORD not in text


def test_wrong_imap_password_is_one_line_and_never_shown(imap: fm.Dovecot, sqlite_url: str,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture,
                                                         ) -> None:
    env = _env(imap, sqlite_url) | {"DESKROUTE_IMAP_PASSWORD": "Wrong-Secret-Value-42"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = CliRunner().invoke(app, ["email", "poll", "--once"])
    assert out.exit_code == 2
    assert "refused the login: check DESKROUTE_IMAP_USER and DESKROUTE_IMAP_PASSWORD" in \
        out.output
    assert "Wrong-Secret-Value-42" not in out.output + caplog.text
    assert "Wrong-Secret-Value-42" not in imap.log()  # Dovecot logs no password either
    bad = CliRunner().invoke(app, ["email", "poll", "--once"],
                             env={"DESKROUTE_IMAP_URL": "imap://imap.example.com"})
    assert bad.exit_code == 2 and "invalid setting DESKROUTE_IMAP_URL" in bad.output, bad.output
