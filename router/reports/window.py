"""The time window of a report: ``--since``/``--until`` as relative spans or ISO dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^(\d{1,9})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Window:
    """Tickets created in [since, until); ``now`` is when assumed resolutions are judged."""

    since: datetime | None = None
    until: datetime | None = None
    now: datetime | None = None

    def as_of(self) -> datetime:
        return self.now or datetime.now(UTC)

    def as_dict(self) -> dict[str, str | None]:
        return {"since": _iso(self.since), "until": _iso(self.until), "as_of": _iso(self.as_of())}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def parse_when(value: str | None, option: str = "--since",
               now: datetime | None = None) -> datetime | None:
    """``7d``, ``24h``, ``30m``, ``2w`` (that long ago) or an ISO date/time; None = open."""
    if not value:
        return None
    match = _RELATIVE.match(value.strip())
    try:
        if match:
            delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
            return (now or datetime.now(UTC)) - delta
        parsed = datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError) as exc:  # "yesterday", "99999999999d"
        raise ValueError(f"{option}: expected e.g. 7d, 24h or an ISO date, "
                         f"got {value[:40]!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_since(value: str | None) -> datetime | None:
    return parse_when(value, "--since")


def make_window(since: str | None = None, until: str | None = None) -> Window:
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    if start and end and start >= end:
        raise ValueError(f"--since ({start:%Y-%m-%d %H:%M}) must be before --until "
                         f"({end:%Y-%m-%d %H:%M})")
    return Window(start, end)
