"""After a demo run (real pipeline, real models), /metrics agrees with the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from router.api.app import create_app
from router.cli.main import app as cli
from router.pipeline.services import reset_default_services
from tests.unit.reports.test_metrics_endpoint import TOKEN, scrape

pytestmark = pytest.mark.integration


def test_metrics_scraped_after_a_demo_match_its_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("DESKROUTE_LLM_MODEL", "DESKROUTE_BROKER_URL", "DESKROUTE_POLICY",
              "DESKROUTE_DATABASE_URL", "DESKROUTE_WEBHOOK_SECRET"):
        monkeypatch.setenv(k, "placeholder-to-restore")  # the demo sets some of these
        monkeypatch.delenv(k)
    monkeypatch.setenv("DESKROUTE_KB_DIR", str(tmp_path / "kb"))
    reset_default_services(None)
    url = f"sqlite:///{tmp_path}/demo.db"
    result = CliRunner().invoke(cli, ["demo", "--limit", "6", "--json", "--database-url", url])
    reset_default_services(None)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    monkeypatch.setenv("DESKROUTE_ADMIN_TOKEN", TOKEN)
    with TestClient(create_app(database_url=url, embedded_worker=False)) as client:
        metrics = scrape(client)
    assert metrics["deskroute_tickets_received_total"][()] == report["tickets"] == 6
    states = {dict(k)["state"]: v for k, v in metrics["deskroute_tickets"].items()}
    assert states == report["by_state"]
    finished = {}
    for labels, n in metrics["deskroute_tickets_finished_total"].items():
        route = dict(labels)["route"]
        finished[route] = finished.get(route, 0) + n
    assert finished == {k: v for k, v in report["by_route"].items() if k != "undecided"}
    answers = {dict(k)["backend"]: v
               for k, v in metrics.get("deskroute_answers_delivered_total", {}).items()}
    assert answers == {k: v for k, v in report["answered_by"].items() if k != "human"}
    decided = sum(metrics["deskroute_decision_latency_seconds_count"].values())
    assert decided == sum(r["n"] for r in report["decision_latency_ms"].values()) == 6
    assert metrics.get("deskroute_outbox_depth", {}) == {}  # the demo drained everything
