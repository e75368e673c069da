"""Tests here may run pipeline tasks without handing in services: the process-wide default
is dropped after each, so a later test's settings (policy, model paths) are read afresh."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_default_services() -> Iterator[None]:
    from router.pipeline.services import reset_default_services

    yield
    reset_default_services(None)
