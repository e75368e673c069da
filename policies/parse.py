"""YAML text -> :class:`Policy`, with errors that name the file, the line and the key.

pydantic validates; this module only maps its error locations back onto the YAML (a node walk
gives every key's line) and words the messages for the person editing the file: an unknown key
suggests the closest known one, a misspelt signal lists the known signals.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from policies.model import (
    Evidence,
    FollowUp,
    Policy,
    Rollout,
    ShadowCompare,
    TextRule,
    content_hash,
)
from router.domain import SIGNAL_NAMES

Path_ = tuple[str | int, ...]
_ENUM_REPR = re.compile(r"<\w+\.\w+: ('[^']*')>")


class PolicyError(ValueError):
    """A policy that cannot be used. ``problems`` are full lines: ``FILE:LINE: key: what``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


def parse_policy(text: str, *, source: str = "<policy>", default_name: str = "policy") -> Policy:
    """Validate policy text. Every problem is reported, each naming ``source``, line and key."""
    try:
        raw = yaml.safe_load(text)
        lines, dupes = _key_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyError([f"{where}: invalid YAML: {problem}"]) from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise PolicyError([f"{source}:1: a policy must be a YAML mapping of keys to values"])
    found = [(lines.get(p, 1), f"{_dotted(p)}: key given twice") for p in dupes]
    raw.setdefault("name", default_name)
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        found += [_describe(err, lines) for err in exc.errors()]
    if found:
        raise PolicyError([f"{source}:{line}: {what}" for line, what in sorted(found)])
    policy._hash = content_hash(text)
    return policy


def _key_lines(text: str) -> tuple[dict[Path_, int], list[Path_]]:
    """1-based line of every key and list item, and the keys written twice in one mapping."""
    lines: dict[Path_, int] = {}
    dupes: list[Path_] = []

    def walk(node: yaml.Node | None, path: Path_) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                here = (*path, name)
                if name in seen:
                    dupes.append(here)
                seen.add(name)
                lines[here] = key.start_mark.line + 1
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    return lines, dupes


def _describe(err: Any, lines: dict[Path_, int]) -> tuple[int, str]:
    """(line, "key: what is wrong") for one pydantic error."""
    loc: Path_ = tuple(p for p in err["loc"] if p != "[key]")
    is_key = "[key]" in err["loc"]
    line = next((lines[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in lines), 1)
    return line, _explain(err, loc, is_key)


def _explain(err: Any, loc: Path_, is_key: bool) -> str:
    where = _dotted(loc) or "policy"
    kind, given = err["type"], err.get("input")
    if kind == "extra_forbidden":
        return f"{where}: unknown key; {_suggest(str(loc[-1]), _known_keys(loc[:-1]), 'keys')}"
    if is_key and loc[:1] == ("escalate_signals",):
        return f"{where}: unknown signal {given!r}; {_suggest(str(given), SIGNAL_NAMES, 'signals')}"
    message = _ENUM_REPR.sub(r"\1", str(err["msg"])).removeprefix("Value error, ")
    message = f"{message[0].lower()}{message[1:]}"
    if kind != "value_error" and isinstance(given, str | int | float | bool):
        message += f", got {given!r}"
    return f"{where}: {message}"


def _dotted(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _known_keys(parent: Path_) -> list[str]:
    model: type[BaseModel] = Policy
    if parent[:1] == ("follow_up",):
        model = FollowUp
    elif parent[:1] == ("rules",):
        model = TextRule
    elif parent == ("rollout", "evidence"):
        model = Evidence
    elif parent == ("rollout", "shadow_compare"):
        model = ShadowCompare
    elif parent[:1] == ("rollout",):
        model = Rollout
    return list(model.model_fields)


def _suggest(given: str, known: Sequence[str], what: str) -> str:
    """The closest known name, or the whole list when nothing is close."""
    close = difflib.get_close_matches(given, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"known {what}: {', '.join(known)}"
