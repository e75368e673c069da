"""/metrics reads the store: its counters equal the report's figures, in any API process."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from router.api.app import create_app
from router.store import models as m
from router.store.db import unit_of_work
from tests.unit.reports.conftest import seed_store

TOKEN = "metrics-test-token-0123456789"


def scrape(client: TestClient) -> dict[str, dict[tuple, float]]:
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    out: dict[str, dict[tuple, float]] = {}
    for fam in text_string_to_metric_families(resp.text):
        for s in fam.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_metrics_match_the_report_and_agree_across_processes(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("DESKROUTE_METRICS_CACHE_SECONDS", "0")
    seed_store(sqlite_url)
    with unit_of_work(sqlite_url) as s:
        s.add(m.OutboxRow(task="deliver", ticket_id=1))
        s.add(m.DeliveryAttempt(ticket_id=1, kind="reply", connector="generic", ok=False,
                                error="503"))
    two = [TestClient(create_app(database_url=sqlite_url, embedded_worker=False))
           for _ in range(2)]  # two API processes' worth of state
    with two[0] as a, two[1] as b:
        assert a.get("/metrics").status_code == 401
        first, second = scrape(a), scrape(b)
        report = a.get("/report", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    timing = "deskroute_metrics_query_seconds"
    assert {k: v for k, v in first.items() if k != timing} == {
        k: v for k, v in second.items() if k != timing}
    assert first["deskroute_tickets_received_total"][()] == report["tickets"]
    states = {dict(k)["state"]: v for k, v in first["deskroute_tickets"].items()}
    assert states == report["by_state"]
    backends = {dict(k)["backend"]: v for k, v in first["deskroute_answers_delivered_total"]
                .items()}
    assert backends == {k: v for k, v in report["answered_by"].items() if k != "human"}
    finished = first["deskroute_tickets_finished_total"]
    assert sum(finished.values()) == report["finished"]
    assert finished[(("route", "human"), ("state", "escalated"))] == 2
    tokens = {dict(k)["kind"]: v for k, v in first["deskroute_llm_tokens_total"].items()}
    assert tokens == report["hosted_tokens"]
    assert first["deskroute_outbox_depth"][(("task", "deliver"),)] == 1
    assert first["deskroute_delivery_failures_total"][
        (("connector", "generic"), ("kind", "reply"))] == 1
    outcomes = {dict(k)["kind"]: v for k, v in first["deskroute_outcomes_total"].items()}
    assert outcomes["resolved"] == 4 and outcomes["csat"] == 2
    slm = (("route", "slm"),)
    assert first["deskroute_decision_latency_seconds_count"][slm] == 7
    assert first["deskroute_decision_latency_seconds_sum"][slm] == pytest.approx(0.1)
    # 10, 20, 10, 10, 10, 30, 10 ms: six at or under 25 ms, all seven under 50 ms
    assert first["deskroute_decision_latency_seconds_bucket"][(("le", "0.025"), *slm)] == 6
    assert first["deskroute_decision_latency_seconds_bucket"][(("le", "0.05"), *slm)] == 7
