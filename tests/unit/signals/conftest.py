"""Fixtures of the signal tests (helpers for the CSV sets live in ``signal_sets.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.signals.signal_sets import SHARED_DATA


@pytest.fixture
def shared_data() -> Path:
    """The public data sets next to the repository (skip where they are absent)."""
    if not (SHARED_DATA / "banking77_oos" / "valid.csv").exists():
        pytest.skip(f"shared data sets not found at {SHARED_DATA}")
    return SHARED_DATA
