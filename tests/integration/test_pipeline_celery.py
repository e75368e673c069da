"""The production shape: PostgreSQL store, Redis broker, a real Celery worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from router.api.app import create_app
from router.pipeline.services import reset_default_services
from router.settings import QueueSettings
from router.store import outbox, repo
from router.store.db import unit_of_work
from tests.helpers_http import RecordingServer, stop_process
from tests.integration.pipeline_env import configure, post, seed_kb

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def callback() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


@pytest.fixture
def worker(pg_url: str, redis_url: str, callback: RecordingServer, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen]:
    configure(monkeypatch, pg_url, callback.url, tmp_path, DESKROUTE_BROKER_URL=redis_url)
    seed_kb(pg_url)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "router.cli.main", "worker", "--queues",
         "decide,slm,llm,deliver", "--pool", "solo", "--loglevel", "WARNING"],
        cwd=REPO, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        stop_process(proc)
        log.close()
        reset_default_services(None)


def _wait_final(url: str, ticket_id: int, seconds: float = 180) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with unit_of_work(url) as s:
            t = repo.get_ticket(s, ticket_id)
            assert t is not None
            if t.state in ("delivered", "escalated", "failed"):
                return t.state
        time.sleep(0.5)
    raise AssertionError(f"ticket {ticket_id} not finished after {seconds}s")


def test_celery_worker_on_redis_and_postgres_answers_and_escalates(
        pg_url: str, worker: subprocess.Popen, callback: RecordingServer,
        tmp_path: Path) -> None:
    with TestClient(create_app(database_url=pg_url)) as client:
        local = post(client, {"id": "c-1", "body": "Do you accept PayPal?"})
        human = post(client, {"id": "c-2", "body": "I want to speak to a real person now."})
        assert _wait_final(pg_url, human) == "escalated"
        assert _wait_final(pg_url, local) == "delivered", (tmp_path / "worker.log").read_text()
        view = client.get(f"/tickets/{local}").json()
    assert view["decision"]["route"] == "slm"
    kinds = sorted(b["type"] for b in callback.json_bodies())
    assert kinds == ["ticket.escalated", "ticket.reply"]
    with unit_of_work(pg_url) as s:
        assert outbox.unfinished_count(s) == 0


def test_broker_outage_between_commit_and_enqueue_loses_nothing(
        pg_url: str, redis_url: str, worker: subprocess.Popen,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from router.worker.celery_app import make_celery
    from router.worker.dispatch import relay_once

    # The API believes the broker is on a dead port: the webhook still commits and answers.
    monkeypatch.setenv("DESKROUTE_BROKER_URL", "redis://127.0.0.1:1/0")
    with TestClient(create_app(database_url=pg_url)) as client:
        tid = post(client, {"id": "c-outage", "body": "Get me a human agent."})
    with unit_of_work(pg_url) as s:
        assert outbox.unfinished_count(s) == 1
        assert repo.get_ticket(s, tid).state == "received"  # type: ignore[union-attr]
    # The broker is back: the relay moves the pending row and the worker finishes the ticket.
    assert relay_once(make_celery(redis_url), url=pg_url, settings=QueueSettings()) == 1
    assert _wait_final(pg_url, tid) == "escalated"
