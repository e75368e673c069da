"""Keep credentials out of access logs.

The admin API refuses a token in the query string (400), but the server logs the request line
before anyone reads the answer. This filter rewrites credential-looking query parameters in
uvicorn's access-log records to ``***``, so ``GET /report?token=…`` never lands on disk.
"""

from __future__ import annotations

import logging
import re

from router.api.deps import TOKEN_PARAMS

_PARAM_RE = re.compile(
    r"(?i)([?&](?:" + "|".join(sorted(TOKEN_PARAMS)) + r")=)[^&#\s]*"
)


def redact_query(text: str) -> str:
    return _PARAM_RE.sub(r"\1***", text)


class RedactTokens(logging.Filter):
    """Rewrites the request line of uvicorn access records (and any message) in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redact_query(a) if isinstance(a, str) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def install(logger_names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error")) -> None:
    """Attach the filter once per logger (idempotent: create_app may run many times)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
