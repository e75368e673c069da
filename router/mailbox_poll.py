"""``deskroute email poll``: an IMAP folder → tickets, nothing read twice, nothing skipped.

Each pass: read the folder's UIDVALIDITY, decide where to start, fetch in batches (without
marking anything seen), and for each batch store the tickets *and* move the cursor in one
transaction. Then, best effort, flag those messages ``\\Seen`` for the people sharing the
mailbox. A crash before the commit leaves the cursor where it was: the batch is fetched again
and, being keyed by Message-ID, stored once. A crash after the commit loses nothing either.

Where a pass starts:

* known folder, same UIDVALIDITY — after the last UID read;
* first poll of a folder — its unseen messages (mail people already read is history, not a
  queue to answer), then everything that arrives;
* UIDVALIDITY changed (the folder was rebuilt or restored and every UID changed meaning) —
  every message since the day before the last poll; Message-ID dedupe drops those already
  made into tickets.

Tickets go through the same validation as webhooks (``router.intake``) and wait in the outbox
for the workers (``deskroute serve``'s embedded worker, or Celery).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from connectors.base import AgentReply, ChannelOutcome, Handshake, Ignored, PayloadError
from connectors.email.connector import EmailConnector
from connectors.email.imap import Inbox
from router.intake import prepare_ticket
from router.outcomes import record_thread_reply
from router.store import repo
from router.store.db import begin_write, unit_of_work
from router.store.mail_cursor import get_cursor, save_cursor

log = logging.getLogger(__name__)


@dataclass
class PollResult:
    mailbox: str
    uidvalidity: int = 0
    start: str = ""
    fetched: int = 0
    created: list[int] = field(default_factory=list)  # new ticket ids
    duplicates: int = 0  # already tickets (a re-read after a crash, the same mail twice)
    ignored: list[dict[str, Any]] = field(default_factory=list)  # uid, message_id, reason
    refused: list[dict[str, Any]] = field(default_factory=list)  # malformed: left unread
    last_uid: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _message_id(raw: bytes) -> str | None:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        if line.lower().startswith(b"message-id:"):
            return line[11:].strip().decode("ascii", "replace")[:200]
    return None


def _store_one(session: Session, connector: EmailConnector, uid: int, raw: bytes,
               result: PollResult) -> bool:
    """One message → a ticket (True when it is one now), or a recorded reason why not."""
    try:
        event = connector.read_raw(raw)
        if isinstance(event, AgentReply):  # the team answered the customer (inbound.py)
            found = record_thread_reply(session, connector.name, event.thread_id, event.text,
                                        event.event_id)
            reason = ("agent reply on a conversation deskroute has no ticket for" if not found
                      else f"agent reply {'recorded' if found[1] else 'already recorded'} on "
                           f"ticket {found[0].id}")
            result.ignored.append({"uid": uid, "message_id": _message_id(raw), "reason": reason})
            return found is not None
        if isinstance(event, Ignored | Handshake | ChannelOutcome):
            reason = event.reason if isinstance(event, Ignored) else "not a message"
            result.ignored.append({"uid": uid, "message_id": _message_id(raw), "reason": reason})
            log.info("mail uid %s ignored: %s", uid, reason)
            return False
        ticket = prepare_ticket(event.ticket)
    except PayloadError as exc:
        reason = f"{exc.field}: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - one unreadable mail must not stop the mailbox
        log.exception("mail uid %s could not be read", uid)
        reason = f"unreadable ({type(exc).__name__})"
    else:
        row, created = repo.insert_ticket(session, ticket)
        if created:
            result.created.append(row.id)
        else:
            result.duplicates += 1
        return True
    result.refused.append({"uid": uid, "message_id": _message_id(raw), "reason": reason})
    log.warning("mail uid %s not stored (left unread in the folder): %s", uid, reason)
    return False


def store_batch(session: Session, connector: EmailConnector, messages: list[tuple[int, bytes]],
                result: PollResult) -> list[int]:
    """Store a fetched batch (flushed, not committed); the UIDs that are tickets now."""
    return [uid for uid, raw in messages if _store_one(session, connector, uid, raw, result)]


def _plan(inbox: Inbox, session: Session, result: PollResult) -> tuple[list[int], int | None]:
    """UIDs to read and, for a fresh start, the cursor to end on (the folder's top)."""
    state = inbox.state()
    result.uidvalidity = state.uidvalidity
    cursor = get_cursor(session, inbox.key)
    top = state.uidnext - 1
    if cursor is None:
        result.start = "unseen messages (first poll of this folder)"
        return inbox.unseen_uids(), top
    if cursor.uidvalidity != state.uidvalidity:
        since = (cursor.updated_at - timedelta(days=1)).date()
        result.start = (f"messages since {since} (UIDVALIDITY changed from "
                        f"{cursor.uidvalidity} to {state.uidvalidity})")
        log.warning("mailbox %s: %s", inbox.key, result.start)
        return inbox.uids_since(since), top
    result.start = f"after UID {cursor.last_uid}"
    result.last_uid = cursor.last_uid
    return inbox.uids_after(cursor.last_uid), None


def poll_once(connector: EmailConnector, *, url: str | None = None,
              on_batch: Callable[[int, int], None] | None = None) -> PollResult:
    """One pass over the folder. ``on_batch(done, total)`` reports progress."""
    batch = connector.settings.imap_batch
    with connector.inbox() as inbox:
        result = PollResult(mailbox=inbox.key)
        with unit_of_work(url) as session:
            uids, fresh_top = _plan(inbox, session, result)
        if not uids and fresh_top is not None:  # remember where this folder starts
            with unit_of_work(url) as session:
                save_cursor(session, inbox.key, result.uidvalidity, fresh_top)
            result.last_uid = fresh_top
        for i in range(0, len(uids), batch):
            chunk = uids[i:i + batch]
            messages = list(inbox.fetch(chunk))
            result.fetched += len(messages)
            end = chunk[-1] if i + batch < len(uids) or fresh_top is None \
                else max(chunk[-1], fresh_top)
            with unit_of_work(url) as session:
                begin_write(session)  # the tickets and the cursor commit together, or not at all
                stored = store_batch(session, connector, messages, result)
                save_cursor(session, inbox.key, result.uidvalidity, end)
            result.last_uid = max(result.last_uid, end)
            if connector.settings.imap_mark_seen:
                try:
                    inbox.mark_seen(stored)
                except Exception as exc:  # noqa: BLE001 - the tickets are safe already
                    log.warning("could not flag %d messages \\Seen: %s", len(stored), exc)
            if on_batch is not None:
                on_batch(min(i + batch, len(uids)), len(uids))
    if result.created or result.ignored or result.refused:
        log.info("mailbox %s: %d new tickets, %d duplicates, %d ignored, %d refused",
                 result.mailbox, len(result.created), result.duplicates, len(result.ignored),
                 len(result.refused))
    return result


def poll_forever(connector: EmailConnector, *, url: str | None = None,
                 interval: float | None = None, stop: threading.Event | None = None,
                 on_result: Callable[[PollResult], None] | None = None) -> None:
    """Poll every ``interval`` seconds until ``stop`` is set. An unreachable mailbox or store
    is logged and tried again at the next interval, never the end of the poller."""
    wait = interval if interval is not None else connector.settings.imap_poll_seconds
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            result = poll_once(connector, url=url)
        except Exception as exc:  # noqa: BLE001 - keep polling; the message says what failed
            log.warning("mail poll failed, next try in %.0f s: %s: %s", wait,
                        type(exc).__name__, exc)
        else:
            if on_result is not None:
                on_result(result)
        stop.wait(wait)
