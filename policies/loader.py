"""Read a policy file (the shipped default unless a path is given)."""

from __future__ import annotations

import logging
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


_seen: dict[str, tuple[tuple[int, int], Policy]] = {}
_log = logging.getLogger(__name__)


def current_policy(path: str | None = None) -> Policy:
    """The policy as the file is now: re-read when it changed on disk, so a long-running
    worker decides under a promoted version (``deskroute policy promote``) without a restart.

    One ``stat`` per call. A file edited into an invalid policy is refused loudly and the
    last good version stays in force (start-up refuses an invalid policy outright).
    """
    file = Path(path) if path else DEFAULT_POLICY
    key = str(file)
    try:
        st = file.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (-1, -1)
    seen = _seen.get(key)
    if seen is not None and seen[0] == stamp:
        return seen[1]
    try:
        policy = load_policy.__wrapped__(path)
    except PolicyError as exc:
        if seen is None:
            raise
        _log.error("policy %s changed but is invalid; still deciding under version %s "
                   "(hash %s): %s", file, seen[1].version, seen[1].hash[:12], exc)
        _seen[key] = (stamp, seen[1])
        return seen[1]
    if seen is not None and seen[1].hash != policy.hash:
        _log.info("policy %s reloaded: version %s (hash %s)", file, policy.version,
                  policy.hash[:12])
    _seen[key] = (stamp, policy)
    return policy
