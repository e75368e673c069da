"""Reading one IMAP folder with ``imap-tools``: its UIDVALIDITY, UIDs to read, raw messages.

Messages are fetched with ``BODY.PEEK[]`` so reading never marks them seen; the poller flags
``\\Seen`` itself, after the tickets are committed. Flags are stored with ``UID STORE
+FLAGS.SILENT`` directly: imap-tools' ``flag()`` also EXPUNGEs, which would delete whatever a
person had marked deleted in the shared mailbox.

``UID SEARCH UID n:*`` always matches the newest message, even below ``n`` (``*`` is the
highest UID in use), so the UIDs found are filtered again here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from types import TracebackType

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError

from connectors.email.settings import EmailSettings, MailServer
from connectors.email.smtp import tls_context

_UID = re.compile(rb"UID (\d+)")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class InboxError(Exception):
    """The mailbox cannot be read (unreachable, login refused, no such folder)."""


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int
    messages: int
    unseen: int


def _uids(found: Sequence[str]) -> list[int]:
    return sorted({int(u) for u in found if u.isdigit()})


class Inbox:
    """``with Inbox(settings) as inbox:`` — logged in, the folder selected (read-write)."""

    def __init__(self, settings: EmailSettings) -> None:
        server = settings.server("imap")
        if server is None:
            raise InboxError("IMAP not configured: set DESKROUTE_IMAP_URL")
        if not settings.imap_user or settings.imap_password is None:
            raise InboxError("set DESKROUTE_IMAP_USER and DESKROUTE_IMAP_PASSWORD")
        self.server: MailServer = server
        self.settings = settings
        self._box: BaseMailBox | None = None

    @property
    def key(self) -> str:
        """Which mailbox folder this is, for the poller's cursor (no secrets)."""
        return f"{self.settings.imap_user}@{self.server.host}:{self.server.port}/" \
               f"{self.server.folder}"

    def __enter__(self) -> Inbox:
        s, timeout = self.server, self.settings.email_timeout_seconds
        try:
            if s.tls == "ssl":
                box: BaseMailBox = MailBox(s.host, s.port, timeout=timeout,
                                           ssl_context=tls_context(self.settings))
            elif s.tls == "starttls":
                box = MailBoxStartTls(s.host, s.port, timeout=timeout,
                                      ssl_context=tls_context(self.settings))
            else:
                box = MailBoxUnencrypted(s.host, s.port, timeout=timeout)
        except OSError as exc:
            raise InboxError(f"imap {s}: {type(exc).__name__}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - imaplib errors, STARTTLS refused
            raise InboxError(f"imap {s}: {type(exc).__name__}") from None
        assert self.settings.imap_user and self.settings.imap_password is not None
        try:
            box.login(self.settings.imap_user, self.settings.imap_password.get_secret_value(),
                      initial_folder=None)
        except MailboxLoginError:
            box.client.shutdown()
            raise InboxError(f"imap {s} refused the login: check DESKROUTE_IMAP_USER and "
                             f"DESKROUTE_IMAP_PASSWORD") from None
        try:
            box.folder.set(s.folder)
        except Exception as exc:  # noqa: BLE001
            box.logout()
            raise InboxError(f"imap {s}: cannot select folder {s.folder!r} "
                             f"({type(exc).__name__})") from None
        self._box = box
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._box is not None:
            try:
                self._box.logout()
            except Exception:  # noqa: BLE001 - the connection may already be gone
                pass
            self._box = None

    @property
    def box(self) -> BaseMailBox:
        assert self._box is not None, "use Inbox as a context manager"
        return self._box

    def state(self) -> FolderState:
        st = self.box.folder.status(self.server.folder,
                                    ["UIDVALIDITY", "UIDNEXT", "MESSAGES", "UNSEEN"])
        return FolderState(uidvalidity=st["UIDVALIDITY"], uidnext=st["UIDNEXT"],
                           messages=st.get("MESSAGES", 0), unseen=st.get("UNSEEN", 0))

    def uids_after(self, last_uid: int) -> list[int]:
        return [u for u in _uids(self.box.uids(f"UID {last_uid + 1}:*")) if u > last_uid]

    def unseen_uids(self) -> list[int]:
        return _uids(self.box.uids("UNSEEN"))

    def uids_since(self, day: date) -> list[int]:
        return _uids(self.box.uids(f"SINCE {day.day}-{_MONTHS[day.month - 1]}-{day.year}"))

    def fetch(self, uids: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        """(uid, raw message) for each of ``uids`` still in the folder, without \\Seen."""
        if not uids:
            return
        typ, data = self.box.client.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        if typ != "OK":
            raise InboxError(f"imap {self.server}: FETCH answered {typ}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                match = _UID.search(item[0])
                if match:
                    yield int(match.group(1)), bytes(item[1])

    def mark_seen(self, uids: Sequence[int]) -> None:
        if uids:
            self.box.client.uid("STORE", ",".join(map(str, uids)), "+FLAGS.SILENT", r"(\Seen)")
