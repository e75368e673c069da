"""``deskroute policy promote``: write the next version of a policy file, keeping the old one.

The policy file is the record of what deskroute may do, so a promotion is an edit of that file
and nothing else: ``rollout.intents.INTENT`` is set and ``version`` goes up by one, comments and
layout are kept (ruamel.yaml round trip), the new text is validated before anything is written,
the old text is kept byte for byte beside it as ``NAME.vN.yaml`` (its hash still identifies the
decisions made under it), and the new file replaces the old atomically. Decisions made after
the workers pick the file up carry the new hash.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from policies.loader import DEFAULT_POLICY
from policies.parse import PolicyError, parse_policy
from router.domain import Mode


class PromoteError(ValueError):
    """A promotion that cannot be written (one line for the user)."""


@dataclass(frozen=True)
class Promoted:
    path: Path
    kept: Path  # the previous version, unchanged
    intent: str
    mode: Mode
    previous_mode: Mode
    version: int
    old_hash: str
    new_hash: str


def promote(path: Path, intent: str, mode: Mode) -> Promoted:
    """Set ``rollout.intents[intent] = mode`` in the policy at ``path`` as a new version."""
    path = Path(path)
    if path.resolve() == DEFAULT_POLICY.resolve():
        raise PromoteError(
            f"{path} is the policy shipped with deskroute and is replaced on upgrade: copy it "
            "(cp … shop.yaml), set DESKROUTE_POLICY=shop.yaml and promote there")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromoteError(f"{path}: cannot read the policy: {exc}") from exc
    old = parse_policy(text, source=str(path), default_name=path.stem)  # PolicyError if bad
    previous = old.rollout.mode_for(intent)
    if old.rollout.intents.get(intent) is mode:
        raise PromoteError(f"{intent} is already in {mode} in {path} (version {old.version})")
    new_text = _edited(text, intent, mode, old.version + 1)
    try:
        new = parse_policy(new_text, source=str(path), default_name=path.stem)
    except PolicyError as exc:  # e.g. an intent name the schema refuses
        raise PromoteError(f"the promoted policy would be invalid: {exc}") from exc
    kept = _kept_name(path, old.version, text)
    if not kept.exists():
        _write_atomically(kept, text)
    _write_atomically(path, new_text)
    return Promoted(path=path, kept=kept, intent=intent, mode=mode, previous_mode=previous,
                    version=new.version, old_hash=old.hash, new_hash=new.hash)


def _edited(text: str, intent: str, mode: Mode, version: int) -> str:
    yaml = YAML()  # round trip: comments, key order and quoting stay as the team wrote them
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of the shipped policy
    data = yaml.load(text)
    if data is None:
        data = CommentedMap()
    data["version"] = version
    rollout = data.get("rollout")
    if rollout is None:
        rollout = data["rollout"] = CommentedMap()
    intents = rollout.get("intents")
    if intents is None:
        intents = rollout["intents"] = CommentedMap()
    intents[intent] = mode.value
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _kept_name(path: Path, version: int, text: str) -> Path:
    """``shop.v3.yaml`` for version 3; a different file already there gets ``shop.v3-2.yaml``."""
    candidate = path.with_name(f"{path.stem}.v{version}{path.suffix}")
    n = 1
    while candidate.exists() and candidate.read_text(encoding="utf-8") != text:
        n += 1
        candidate = path.with_name(f"{path.stem}.v{version}-{n}{path.suffix}")
    return candidate


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
