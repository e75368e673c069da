"""A new user's first commands: each mistake gives one clear line and a non-zero exit.

Most cases run the command in-process (the same guarded callbacks the `deskroute` entry point
runs); the two that matter most run the real entry point in a fresh folder, where a
traceback would show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli.main import app
from tests.conftest import PG_ADMIN_URL, REPO, missing_service
from tests.helpers_http import free_port, stop_process

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for k in list(os.environ):
        if k.startswith("DESKROUTE_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("DESKROUTE_KB_DIR", str(tmp_path / "kb"))


def _one_line_error(args: list[str], *, code: int = 2) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    err = result.stderr.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert "Traceback" not in result.output
    return err


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A PostgreSQL database that exists but has never been migrated."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        missing_service(f"PostgreSQL at {PG_ADMIN_URL} ({exc.__class__.__name__})")
        raise
    name = f"deskroute_e_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgres://")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_unmigrated_postgres_names_db_upgrade(empty_pg_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    err = _one_line_error(["db", "current", "--database-url", empty_pg_url], code=1)
    assert "no deskroute tables" in err and "deskroute db upgrade" in err
    err = _one_line_error(["report", "--database-url", empty_pg_url])
    assert "deskroute db upgrade" in err
    monkeypatch.setenv("DESKROUTE_DATABASE_URL", empty_pg_url)
    assert "deskroute db upgrade" in _one_line_error(["serve", "--port", str(free_port())])
    result = runner.invoke(app, ["db", "upgrade", "--database-url", empty_pg_url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["db", "current", "--database-url", empty_pg_url])
    assert result.exit_code == 0 and "(head)" in result.stdout


def test_database_that_does_not_exist(tmp_path: Path) -> None:
    missing_db = PG_ADMIN_URL.rsplit("/", 1)[0] + "/deskroute_no_such_db"
    assert "does not exist" in _one_line_error(["db", "current", "--database-url", missing_db])
    err = _one_line_error(["report", "--database-url", f"sqlite:///{tmp_path}/nope/x.db"])
    assert "does not exist" in err


def test_unsupported_scheme_is_refused() -> None:
    err = _one_line_error(["db", "upgrade", "--database-url", "mysql://root@127.0.0.1/test"])
    assert "unsupported database 'mysql'" in err


def test_fresh_sqlite_store_is_migrated_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    result = runner.invoke(app, ["report", "--json", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tickets"] == 0


def test_missing_model_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_SLM_MODEL", "/nonexistent/model.gguf")
    err = _one_line_error(["answer", "do you accept paypal"])
    assert "DESKROUTE_SLM_MODEL" in err and "/nonexistent/model.gguf" in err


def test_malformed_policy_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "shop.yaml"
    bad.write_text("low_confidence_route: robot\n")
    monkeypatch.setenv("DESKROUTE_POLICY", str(bad))
    err = _one_line_error(["route", "where is my order"])
    assert str(bad) in err


@pytest.mark.parametrize("command", [["kb", "import"], ["train"]])
def test_csv_with_wrong_columns(tmp_path: Path, command: list[str]) -> None:
    bad = tmp_path / "tickets.csv"
    bad.write_text("a,b\n1,2\n")
    args = [*command, str(bad)] + (["--out", str(tmp_path / "clf")] if command == ["train"]
                                   else ["--database-url", f"sqlite:///{tmp_path}/s.db"])
    assert "tickets.csv" in _one_line_error(args)


def test_placeholder_secret_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DESKROUTE_DATABASE_URL", f"sqlite:///{tmp_path}/s.db")
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", "changeme")
    err = _one_line_error(["serve", "--port", str(free_port())])
    assert "DESKROUTE_WEBHOOK_SECRET" in err


def _deskroute(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DESKROUTE_")}
    clean["PYTHONPATH"] = str(REPO)  # this checkout's sources, from any folder
    return subprocess.run([sys.executable, "-m", "router.cli.main", *args], cwd=cwd,
                          env={**clean, **env}, capture_output=True, text=True, timeout=600)


def test_answer_in_an_empty_folder_works_without_a_traceback(tmp_path: Path) -> None:
    proc = _deskroute(["answer", "where is my order 1234", "--json"], tmp_path,
                      DESKROUTE_KB_DIR=str(tmp_path / "kb"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    assert out["intent"] == "order_status"
    assert "knowledge base is empty" in proc.stderr  # tells the user what to do next
    assert (tmp_path / "deskroute.db").is_file()  # the embedded store, migrated


def test_serve_warns_when_the_webhook_secret_is_unset(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DESKROUTE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "router.cli.main", "serve", "--port", str(free_port()),
         "--no-embedded-worker"], cwd=tmp_path, env={**clean, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen, deadline = "", time.monotonic() + 120
        while "Uvicorn running" not in seen and time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line and proc.poll() is not None:
                break
            seen += line
        assert "DESKROUTE_WEBHOOK_SECRET is not set" in seen, seen
        assert "Uvicorn running" in seen, seen
    finally:
        stop_process(proc)
