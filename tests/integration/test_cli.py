"""The command line as a user runs it: route, answer, demo, report, db."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli.main import app
from router.pipeline.services import reset_default_services

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for k in ("DESKROUTE_LLM_MODEL", "DESKROUTE_BROKER_URL", "DESKROUTE_POLICY",
              "DESKROUTE_DATABASE_URL", "DESKROUTE_WEBHOOK_SECRET"):
        monkeypatch.setenv(k, "placeholder-to-restore")  # the demo sets some of these
        monkeypatch.delenv(k)
    monkeypatch.setenv("DESKROUTE_KB_DIR", str(tmp_path / "kb"))
    reset_default_services(None)
    yield
    reset_default_services(None)


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_route_json_has_the_documented_keys() -> None:
    out = _json(["route", "how do I reset my password", "--json"])
    assert out["route"] == "slm" and out["intent"] == "password_reset"
    assert 0.0 <= out["confidence"] <= 1.0
    assert out["reasons"] and out["policy"]["name"] == "default" and out["classifier"]
    assert out["mode"] == "assist"  # new installs start in assist


def test_route_escalates_a_legal_threat_with_the_signal_as_reason() -> None:
    out = _json(["route", "I will take you to court over this, my lawyer is ready", "--json"])
    assert out["route"] == "human"
    assert any("legal_threat" in r for r in out["reasons"])


def test_answer_forced_human_route_reports_no_model_call() -> None:
    out = _json(["answer", "where is my order", "--route", "human", "--json"])
    assert out["backend"] == "human" and out["answer"] is None and out["cost_usd"] == 0.0
    assert out["verifier"] is None and out["redactions"] == {}


def test_answer_forced_llm_without_llm_says_so() -> None:
    out = _json(["answer", "where is my order", "--route", "llm", "--json"])
    assert "no hosted LLM configured" in out["error"]


def test_empty_text_is_a_clear_error() -> None:
    result = runner.invoke(app, ["route", "   "])
    assert result.exit_code == 2 and "empty" in result.output


def test_db_upgrade_then_check_agree(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    assert runner.invoke(app, ["db", "check", "--database-url", url]).exit_code == 0


def test_demo_runs_the_pipeline_and_prints_a_report(tmp_path: Path) -> None:
    out = _json(["demo", "--limit", "4", "--json",
                 "--database-url", f"sqlite:///{tmp_path}/demo.db"])
    assert out["tickets"] == 4 and out["finished"] == 4 and out["pending"] == 0
    assert sum(out["by_route"].values()) == 4
    assert 0.0 <= out["deflection_rate"] <= 1.0
    # the demo policy: password_reset (demo-001) and shipping_time (demo-003) promoted to auto,
    # the rest in assist, the shipped default for new installs
    modes = {r["mode"]: r for r in out["rollout"]}
    assert sum(r["tickets"] for r in modes.values()) == 4
    assert modes["auto"]["tickets"] >= 1 and modes["assist"]["tickets"] >= 1
    assert modes["assist"]["replied"] == 0 and modes["shadow"]["replied"] == 0
