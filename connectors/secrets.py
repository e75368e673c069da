"""Secret settings shared by the vendor connectors: refuse what cannot be a real secret.

A secret that is empty, a placeholder word or shorter than 16 characters is refused when the
settings are built, naming the variable, instead of accepting webhooks anyone could sign.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, field_validator

MIN_SECRET_CHARS = 16
PLACEHOLDERS = frozenset({"changeme", "change-me", "secret", "password", "placeholder", "xxx",
                          "your-secret", "your_secret", "todo"})


def _check(value: SecretStr | None) -> SecretStr | None:
    if value is None:
        return None
    raw = value.get_secret_value().strip()
    if raw.lower() in PLACEHOLDERS or len(raw) < MIN_SECRET_CHARS:
        # pydantic names the field; the CLI turns it into the DESKROUTE_* variable
        raise ValueError(f"refusing a placeholder or a secret shorter than "
                         f"{MIN_SECRET_CHARS} characters; set the real value")
    return SecretStr(raw)


def check_secret(*fields: str) -> Any:
    """A pydantic field validator for the named ``SecretStr | None`` fields."""
    return field_validator(*fields)(_check)
