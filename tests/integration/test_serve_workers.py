"""``deskroute serve --workers N``: several API processes on one port (issue 14: "say how many
API processes it takes"); refused without a broker, where the embedded worker needs one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from connectors.signing import signed_headers
from router.cli.main import app
from router.store import models as m
from router.store.db import unit_of_work
from tests.conftest import REPO
from tests.helpers_http import free_port, stop_process, wait_ready

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_more_than_one_process_needs_a_broker(sqlite_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("DESKROUTE_BROKER_URL", raising=False)
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--port", str(free_port())])
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert err.startswith("error: ") and "DESKROUTE_BROKER_URL" in err and "\n" not in err


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_two_api_processes_share_the_port_and_store_every_webhook(
        pg_url: str, redis_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DESKROUTE_")},
           "PYTHONPATH": str(REPO), "DESKROUTE_DATABASE_URL": pg_url,
           "DESKROUTE_BROKER_URL": redis_url, "DESKROUTE_WEBHOOK_SECRET": SECRET,
           "DESKROUTE_KB_DIR": str(tmp_path / "kb")}
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "router.cli.main", "serve", "--port", str(port),
         "--workers", "2", "--no-access-log"], cwd=tmp_path, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def why() -> str:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()  # stop early
            return (tmp_path / "serve.log").read_text()

        wait_ready(base, seconds=180, why=why)
        assert len(_children(proc.pid)) >= 2  # the supervisor and its two API processes
        with httpx.Client(timeout=30) as client:
            for i in range(20):
                body = json.dumps({"id": f"w-{i}", "body": "where is my order?"}).encode()
                res = client.post(f"{base}/webhooks/generic", content=body,
                                  headers=signed_headers(SECRET, f"msg_w{i}", body))
                assert res.status_code == 202, res.text
        with unit_of_work(pg_url) as s:
            assert s.scalar(select(func.count()).select_from(m.Ticket)) == 20
        access = (tmp_path / "serve.log").read_text()
        assert "POST /webhooks/generic" not in access  # --no-access-log
    finally:
        stop_process(proc)
        log.close()
