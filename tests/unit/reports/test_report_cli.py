"""``deskroute report`` as a support lead runs it: tables, JSON, CSV, windows, slices."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from router.cli.main import app
from tests.unit.reports.conftest import seed_store

runner = CliRunner()


def _run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["report", "--database-url", url, *args])


def test_terminal_report_has_cost_route_reason_and_intent_tables(sqlite_url: str) -> None:
    seed_store(sqlite_url)
    out = _run(sqlite_url, "--by", "day")
    assert out.exit_code == 0, out.output
    for heading in ("Cost (USD)", "Per route", "Escalation reasons", "Per intent", "By day",
                    "resolution rate, confirmed", "all-LLM"):
        assert heading in out.output
    assert "order_status" in out.output and "2026-06-08" in out.output
    assert "openai/test-model" in out.output and "no known price" in out.output  # the warning


def test_json_carries_the_named_metrics(sqlite_url: str) -> None:
    seed_store(sqlite_url)
    out = _run(sqlite_url, "--json")
    data = json.loads(out.stdout)
    for key in ("deflection_rate", "resolution_rate_confirmed", "resolution_rate_assumed",
                "escalation_rate_by_reason", "cost_per_resolved_usd", "all_llm_cost_usd",
                "savings_usd", "answered_locally", "resolved"):
        assert key in data
    assert set(data["latency_ms"]["slm"]) == {"n", "p50", "p95"}


def test_csv_one_row_per_slice(sqlite_url: str) -> None:
    seed_store(sqlite_url)
    out = _run(sqlite_url, "--csv", "--by", "channel")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {r["channel"]: int(r["tickets"]) for r in rows} == {"chat": 4, "email": 8}
    default = list(csv.DictReader(io.StringIO(_run(sqlite_url, "--csv").stdout)))
    assert "intent" in default[0] and len(default) == 6  # 5 intents + (undecided)


def test_user_mistakes_are_one_line_errors(sqlite_url: str) -> None:
    bad_by = _run(sqlite_url, "--by", "colour")
    assert bad_by.exit_code == 2 and "--by" in bad_by.output
    bad_since = _run(sqlite_url, "--since", "yesterday-ish")
    assert bad_since.exit_code == 2 and "--since" in bad_since.output
    both = _run(sqlite_url, "--json", "--csv")
    assert both.exit_code == 2 and "Traceback" not in both.output


def test_a_report_piped_to_a_file_keeps_every_column(sqlite_url: str) -> None:
    # rich assumed 80 columns when stdout was not a terminal and cut the wide tables
    # (the per-route table's headers came out as 'ticke…', 'defle…', 'escal…')
    import os
    import subprocess
    import sys

    seed_store(sqlite_url)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    out = subprocess.run([sys.executable, "-m", "router.cli.main", "report", "--database-url",
                          sqlite_url], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout, out.stdout
