"""Message-IDs, ticket ids and thread ids for e-mail.

A conversation's ``thread_id`` is a hash of its root Message-ID: the first id in
``References`` (RFC 5322 puts the thread's first message there), else ``In-Reply-To``, else
the message's own id. Hashing keeps it short (a Message-ID may be longer than the column)
and the same whichever message of the thread arrives.

deskroute's own Message-IDs carry the thread's key and the ticket id:
``<deskroute.<thread key>.<ticket id>.<kind>.<check>@<our domain>>``. A customer whose mail
client answers with ``In-Reply-To`` alone (no ``References``) still lands in the right thread,
and any mail that names one of our ids is recognised as ours. The id is derived from the
ticket, so a reply re-sent after a crash carries the same Message-ID and the customer's mail
system can drop the copy.
"""

from __future__ import annotations

import hashlib
import re

MAX_EXTERNAL_ID = 255
_OURS = re.compile(r"^deskroute\.([0-9a-f]{32})\.(\d+)\.([a-z]+)\.([0-9a-f]{8})@(.+)$")


def _hex(value: str, n: int) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def thread_key(root_message_id: str) -> str:
    return _hex(root_message_id.strip(), 32)


def external_id(message_id: str | None, fallback: str) -> str:
    """The ticket's dedupe key: the Message-ID itself (short enough), else a hash of it, else
    ``fallback`` (the service's own id or a hash of the source)."""
    if message_id:
        return message_id if len(message_id) <= MAX_EXTERNAL_ID else "sha256:" + _hex(
            message_id, 64)
    return fallback


def our_message_id(*, thread_id: str, ticket_id: int, kind: str, external_id: str,
                   domain: str) -> str:
    key = thread_id if re.fullmatch(r"[0-9a-f]{32}", thread_id or "") else thread_key(
        thread_id or external_id)
    return f"<deskroute.{key}.{ticket_id}.{kind}.{_hex(external_id, 8)}@{domain}>"


def ours(message_id: str, domain: str) -> str | None:
    """The thread key inside one of our Message-IDs (sent from ``domain``), else None."""
    match = _OURS.match(message_id)
    if match is None or match.group(5).lower() != domain.lower():
        return None
    return match.group(1)
