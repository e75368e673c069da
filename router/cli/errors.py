"""Turning the errors a user can fix into one line on stderr and a non-zero exit.

Every command runs under :func:`user_errors`: a bad setting, an unreachable or unmigrated
store, a malformed policy or a missing model file prints ``error: ...`` naming what to fix,
never a traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from router.errors import UserError

EXIT_USER_ERROR = 2


def settings_message(exc: ValidationError, settings_cls: type[BaseSettings] | None = None) -> str:
    """``DESKROUTE_WEBHOOK_SECRET: refusing a placeholder secret ...`` for each bad variable."""
    prefix = "DESKROUTE_"
    if settings_cls is not None:
        prefix = str(settings_cls.model_config.get("env_prefix") or "")
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else ""
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        parts.append(f"{prefix}{field.upper()}: {message}" if field else message)
    return "; ".join(parts)


def _settings_class(title: str) -> type[BaseSettings] | None:
    pending: list[type[BaseSettings]] = [BaseSettings]
    while pending:
        cls = pending.pop()
        if cls.__name__ == title:
            return cls
        pending.extend(cls.__subclasses__())
    return None


def user_message(exc: BaseException) -> str | None:
    """The one-line message for an error the user can fix, or None for a bug."""
    from policies import PolicyError
    from router.backends.base import BackendError

    if isinstance(exc, UserError | PolicyError | BackendError):
        return str(exc)
    if isinstance(exc, ValidationError):
        cls = _settings_class(exc.title)
        if cls is not None:
            return "invalid setting " + settings_message(exc, cls)
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return str(exc)
    return None


@contextmanager
def user_errors() -> Iterator[None]:
    """Wrap a command: user errors become ``error: ...`` and exit code 2."""
    from router.cli.output import fail

    try:
        yield
    except Exception as exc:  # noqa: BLE001 - re-raised unless it is a user error
        message = user_message(exc)
        if message is None:
            raise
        fail(message, code=EXIT_USER_ERROR)
