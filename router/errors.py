"""Errors a user can fix (configuration, store, files): the CLI prints their message as one
line and exits non-zero instead of showing a traceback. Code raises them with a message that
says what is wrong and what to do."""

from __future__ import annotations


class UserError(RuntimeError):
    """A problem in the user's set-up, not a bug in deskroute."""


class StoreError(UserError):
    """The store cannot be used: unreachable, unsupported, or not migrated."""
