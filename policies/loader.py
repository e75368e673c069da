"""Read a policy file (the shipped default unless a path is given)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from policies.model import Policy
from policies.parse import PolicyError, parse_policy

DEFAULT_POLICY = Path(__file__).resolve().parent / "default.yaml"


@lru_cache(maxsize=8)
def load_policy(path: str | None = None) -> Policy:
    """The validated policy; a :class:`PolicyError` whose every line starts with the path."""
    file = Path(path) if path else DEFAULT_POLICY
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError([f"{file}: policy file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([f"{file}: cannot read the policy: {exc}"]) from exc
    return parse_policy(text, source=str(file), default_name=file.stem)
