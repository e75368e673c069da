"""Read a policy file (the shipped default unless a path is given)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from policies.model import Policy, PolicyError, parse_policy

DEFAULT_POLICY = Path(__file__).resolve().parent / "default.yaml"


@lru_cache(maxsize=8)
def load_policy(path: str | None = None) -> Policy:
    file = Path(path) if path else DEFAULT_POLICY
    if not file.is_file():
        raise PolicyError(f"policy file not found: {file}")
    try:
        return parse_policy(file.read_text(encoding="utf-8"), default_name=file.stem)
    except PolicyError as exc:  # every message names the file it is about
        message = str(exc)
        raise PolicyError(message if message.startswith(str(file)) else f"{file}: {message}") \
            from exc
