"""Fixtures for connector contract tests: fake vendor servers and an app pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
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


@pytest.fixture
def auto_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The shipped policy in ``auto``: for tests of replies to customers (new installs start
    in ``assist``, where a draft goes to the agents instead)."""
    from tests.rollout_policy import use_mode

    return use_mode(monkeypatch, tmp_path, "auto")


@pytest.fixture
def pipeline_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str,
                 auto_mode: Path) -> str:
    """A store with the sample knowledge base, no hosted LLM, no broker: the embedded pipeline
    that ``drain`` runs in-process (end-to-end tests of each channel), replying (``auto``)."""
    from tests.integration.pipeline_env import seed_kb

    monkeypatch.setenv("DESKROUTE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DESKROUTE_KB_DIR", str(tmp_path / "kb"))
    for k in ("DESKROUTE_LLM_MODEL", "DESKROUTE_LLM_API_BASE", "DESKROUTE_BROKER_URL"):
        monkeypatch.delenv(k, raising=False)
    seed_kb(sqlite_url)
    return sqlite_url


@pytest.fixture
def imap() -> Iterator[Any]:
    """A real IMAP server (Dovecot, private configuration) on a free loopback port."""
    from tests.contract.fakes import mail as fm

    with fm.Dovecot() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free loopback port, recording what it receives."""
    from tests.contract.fakes import mail as fm

    with fm.FakeSMTP() as server:
        yield server


def refused_then_accepted(client: TestClient, path: str, url: str,
                          refused: tuple[bytes, dict[str, str]],
                          signed: tuple[bytes, dict[str, str]]) -> None:
    """A badly signed delivery is a 401 that stores nothing (no ticket, no webhook-id); the
    same webhook correctly signed is then stored as a ticket."""
    from router.store import models as m

    r = client.post(path, content=refused[0], headers=refused[1])
    assert r.status_code == 401, r.text
    assert count(url, m.Ticket) == 0 and count(url, m.WebhookMessage) == 0
    good = client.post(path, content=signed[0], headers=signed[1])
    assert good.status_code == 202 and good.json()["kind"] == "ticket", good.text
    assert count(url, m.Ticket) == 1
