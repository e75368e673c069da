"""Settings are read once at the edge and handed down (issue 10 item 4): ``create_app``'s
store is the one its embedded worker works on, and nothing rewrites the environment."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from router.api.app import create_app
from router.cli.main import app as cli
from router.settings import Settings
from router.store import repo
from router.store.db import unit_of_work
from tests.helpers_http import RecordingServer
from tests.integration.pipeline_env import SECRET, post, seed_kb
from tests.rollout_policy import use_mode

pytestmark = pytest.mark.integration


def test_the_embedded_worker_uses_the_store_create_app_was_given(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "not-this-one" / "env.db"  # the environment names another store
    monkeypatch.setenv("DESKROUTE_DATABASE_URL", f"sqlite:///{elsewhere}")
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("DESKROUTE_KB_DIR", str(tmp_path / "kb"))
    use_mode(monkeypatch, tmp_path, "auto")
    seed_kb(sqlite_url)  # the approved answers are in the store handed in, only
    with RecordingServer() as callback:
        monkeypatch.setenv("DESKROUTE_CALLBACK_URL", callback.url)
        with TestClient(create_app(database_url=sqlite_url)) as client:
            tid = post(client, {"id": "s-1", "body": "Do you accept PayPal?"})
            deadline = time.monotonic() + 120
            state = "received"
            while time.monotonic() < deadline:
                with unit_of_work(sqlite_url) as s:
                    ticket = repo.get_ticket(s, tid)
                    assert ticket is not None
                    state, reason = ticket.state, ticket.reason
                if state in ("delivered", "escalated", "failed"):
                    break
                time.sleep(0.2)
    assert state == "delivered", reason  # answered from this store's knowledge base
    assert not elsewhere.exists()


def test_settings_load_reads_once_and_takes_overrides(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_TASK_MAX_RUNS", "7")
    s = Settings.load(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert s.store.database_url.endswith("x.db") and s.queue.task_max_runs == 7
    with pytest.raises(TypeError, match="unknown settings areas: nope"):
        Settings.load(nope=s.queue)


def test_the_demo_leaves_the_environment_alone(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("DESKROUTE_WEBHOOK_SECRET", "DESKROUTE_DATABASE_URL", "DESKROUTE_POLICY",
              "DESKROUTE_LLM_MODEL", "DESKROUTE_BROKER_URL"):
        monkeypatch.delenv(k, raising=False)
    before = dict(os.environ)
    out = CliRunner().invoke(cli, ["demo", "--limit", "2", "--json", "--database-url",
                                   f"sqlite:///{tmp_path / 'demo.db'}"])
    assert out.exit_code == 0, out.output
    assert dict(os.environ) == before  # the demo used to set the secret and the store URL
