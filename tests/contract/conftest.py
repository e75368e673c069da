"""Fixtures for connector contract tests: fake vendor servers and an app pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic_settings import BaseSettings

from connectors.registry import Registry
from router.api.app import create_app


@pytest.fixture
def app_for(sqlite_url: str) -> Iterator[Callable[..., TestClient]]:
    """``app_for(name=settings, ...)``: an API (no worker) whose connectors use these settings."""
    clients: list[TestClient] = []

    def make(url: str | None = None, **settings: BaseSettings) -> TestClient:
        app = create_app(database_url=url or sqlite_url, embedded_worker=False)
        app.state.connectors = Registry(settings)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def count(url: str, model: Any) -> int:
    from sqlalchemy import func, select

    from router.store.db import unit_of_work

    with unit_of_work(url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)
