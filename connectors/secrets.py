"""Secrets every connector and the API share: refuse what cannot be a real secret.

A secret that is empty, shorter than 16 bytes of key, nearly one repeated character, or
mostly placeholder wording (``changeme``, ``your-webhook-secret-here``, ``xxxx…``) is refused
when the settings are built, naming the environment variable, instead of accepting webhooks
anyone could sign: ``DESKROUTE_WEBHOOK_SECRET=whsec_`` decodes to an empty HMAC key, and a
request signed with an empty key was accepted (issue 18).

A ``whsec_``-prefixed secret (Standard Webhooks) carries its key in base64: the key is what
is measured. Any other string is its own key.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from pydantic import SecretStr, field_validator

MIN_SECRET_CHARS = 16  # bytes of key
MIN_DISTINCT = 6
GENERATE_HINT = (
    "generate one with: python -c \"import base64,secrets; "
    "print('whsec_' + base64.b64encode(secrets.token_bytes(32)).decode())\""
)
# Wording of example values; a secret that is mostly these words is a placeholder.
_PLACEHOLDER_RE = re.compile(
    r"change[-_ ]?me|placeholder|replace|your|example|secret|token|webhook|admin|password|"
    r"here|todo|dummy|default|hunter2|letmein|x{3,}|[-_. ]"
)


class WeakSecretError(ValueError):
    """A configured secret that must not be used; the message names the variable."""


def secret_key(secret: str) -> bytes:
    """The HMAC key a secret stands for (``whsec_`` + base64, or the string's UTF-8 bytes)."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WeakSecretError("a whsec_ secret must be valid base64 after the prefix") from exc
    return secret.encode()


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` cannot serve as an HMAC key or a token, or None when it can."""
    try:
        key = secret_key(secret)
    except WeakSecretError as exc:
        return str(exc)
    if len(key) < MIN_SECRET_CHARS:
        kind = "decodes to" if secret.startswith("whsec_") else "is"
        return f"{kind} {len(key)} bytes; at least {MIN_SECRET_CHARS} are needed"
    rest = _PLACEHOLDER_RE.sub("", key.decode("latin-1").lower())
    if len(set(key)) < MIN_DISTINCT or len(rest) < MIN_SECRET_CHARS // 2:
        return "looks like a placeholder"
    return None


def check_secret_value(secret: str, variable: str | None = None) -> str:
    """Return ``secret`` if it can serve as an HMAC key or a token; else ``WeakSecretError``.

    Settings validators leave ``variable`` out: pydantic names the field and the CLI
    (``router.cli.errors.user_message``) turns it into ``invalid setting DESKROUTE_…: …``.
    """
    problem = secret_problem(secret)
    if problem is not None:
        who = f"{variable} " if variable else ""
        raise WeakSecretError(f"{who}{problem}; {GENERATE_HINT}")
    return secret


def _check(value: SecretStr | None) -> SecretStr | None:
    if value is None:
        return None
    raw = value.get_secret_value().strip()
    check_secret_value(raw)
    return SecretStr(raw)


def check_secret(*fields: str) -> Any:
    """A pydantic field validator for the named ``SecretStr | None`` fields."""
    return field_validator(*fields)(_check)
