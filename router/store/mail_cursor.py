"""SQL for the IMAP poller's cursors (``mail_cursors``). Flushes, never commits."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from router.store import models as m

MAX_KEY = 255


def cursor_key(mailbox: str) -> str:
    """A mailbox name that fits the column (a very long one is shortened with its hash)."""
    if len(mailbox) <= MAX_KEY:
        return mailbox
    return mailbox[: MAX_KEY - 17] + "#" + hashlib.sha256(mailbox.encode()).hexdigest()[:16]


def get_cursor(session: Session, mailbox: str) -> m.MailCursor | None:
    return session.scalar(select(m.MailCursor).where(m.MailCursor.mailbox == cursor_key(mailbox)))


def save_cursor(session: Session, mailbox: str, uidvalidity: int, last_uid: int) -> m.MailCursor:
    """Move the cursor forward (never back within one UIDVALIDITY: a slower poller running
    beside this one must not make it read again what is already read)."""
    row = get_cursor(session, mailbox)
    if row is None:
        row = m.MailCursor(mailbox=cursor_key(mailbox), uidvalidity=uidvalidity,
                           last_uid=last_uid)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:  # another poller created it first
            row = get_cursor(session, mailbox)
            if row is None:
                raise
    if row.uidvalidity != uidvalidity:
        row.uidvalidity, row.last_uid = uidvalidity, last_uid
    else:
        row.last_uid = max(row.last_uid, last_uid)
    session.flush()
    return row
