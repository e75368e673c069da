"""Process logging: plain text for people, JSON lines for log pipelines, ticket ids on both.

``DESKROUTE_LOG_FORMAT=json`` writes one JSON object per line (python-json-logger) with
``time``, ``level``, ``logger``, ``message`` and, for everything logged while a pipeline task
runs, ``ticket_id`` and ``task`` — set once by the worker around the task, so every line of a
ticket's processing carries its id without each call site passing it.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

_TICKET: contextvars.ContextVar[int | None] = contextvars.ContextVar("ticket_id", default=None)
_TASK: contextvars.ContextVar[str | None] = contextvars.ContextVar("task", default=None)
_HANDLER_NAME = "deskroute"


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_", env_file=None, extra="ignore")
    log_format: Literal["text", "json"] | None = None  # None: leave logging as it is
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@contextmanager
def ticket_context(ticket_id: int, task: str | None = None) -> Iterator[None]:
    """Everything logged inside carries this ticket id (and task), in any logger."""
    tokens = (_TICKET.set(ticket_id), _TASK.set(task))
    try:
        yield
    finally:
        _TICKET.reset(tokens[0])
        _TASK.reset(tokens[1])


class TicketFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "ticket_id", None) is None:
            record.ticket_id = _TICKET.get()
        if getattr(record, "task", None) is None:
            record.task = _TASK.get()
        return True


class _Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tid = getattr(record, "ticket_id", None)
        return line if tid is None else f"{line} [ticket {tid}]"


def configure_logging(settings: LogSettings | None = None, *,
                      default: Literal["text", "json"] | None = None) -> str | None:
    """Install deskroute's handler on the root logger (once); returns the format used.

    ``default`` is the format when DESKROUTE_LOG_FORMAT is unset (long-running commands pass
    ``text``); without either, logging is left alone.
    """
    s = settings or LogSettings()
    fmt = s.log_format or default
    if fmt is None:
        return None
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == _HANDLER_NAME:
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(TicketFilter())
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(ticket_id)s %(task)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            timestamp=False))
    else:
        handler.setFormatter(_Text("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(s.log_level)
    return fmt
