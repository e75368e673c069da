"""The shipped policy in a chosen rollout mode, for tests of replying (``auto``) behaviour.

New installs start in ``assist`` (the shipped default): tests written for the pipeline's
public replies run on a copy of the same policy with ``rollout.mode`` set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.loader import DEFAULT_POLICY


def policy_in_mode(folder: Path, mode: str = "auto", extra: str = "") -> Path:
    """``folder/policy-<mode>.yaml``: the shipped policy with ``rollout.mode: <mode>``."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    assert "\n  mode: assist\n" in text, "the shipped policy no longer starts in assist"
    text = text.replace("\n  mode: assist\n", f"\n  mode: {mode}\n{extra}", 1)
    path = folder / f"policy-{mode}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def use_mode(monkeypatch: pytest.MonkeyPatch, folder: Path, mode: str = "auto") -> Path:
    """Point ``DESKROUTE_POLICY`` at the shipped policy in ``mode``."""
    path = policy_in_mode(folder, mode)
    monkeypatch.setenv("DESKROUTE_POLICY", str(path))
    return path
