"""Every report metric against figures worked out by hand from conftest.SEEDS.

Units: DESKROUTE_LOCAL_COST_PER_HOUR=3.6 makes one millisecond of local compute cost $1e-6;
hosted tokens cost $1/M in and $2/M out (configured); a human ticket costs $2.
Routes: slm T1-T6,T12 · llm T7,T10 · human T8,T9 · undecided T11 (pending).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from router.backends.prompts import build_messages
from router.pricing import PriceSettings, Tokenizer
from router.reports import Window, build_report
from router.reports.settings import ReportSettings
from router.settings import LLMSettings
from router.store.db import unit_of_work
from tests.unit.reports.conftest import NOW, REPLY, TEXT, seed_store

SETTINGS = ReportSettings(local_cost_per_hour=3.6, human_cost_per_ticket=2.0,
                          resolution_quiet_hours=72, counterfactual_model="gpt-4o-mini")
PRICES = PriceSettings(llm_price_input_per_mtok=1.0, llm_price_output_per_mtok=2.0)


def _report(url: str, window: Window | None = None, by: str | None = None) -> dict:
    with unit_of_work(url) as s:
        return build_report(s, window or Window(now=NOW), by=by, settings=SETTINGS,
                            llm=LLMSettings(llm_model=None), prices=PRICES)


def test_counts_and_rates_match_the_hand_computed_values(store_url: str) -> None:
    seed_store(store_url)
    r = _report(store_url)
    assert (r["tickets"], r["finished"], r["pending"]) == (12, 11, 1)
    assert r["by_state"] == {"delivered": 8, "escalated": 3, "received": 1}
    assert r["by_route"] == {"slm": 7, "llm": 2, "human": 2, "undecided": 1}
    assert r["answered_by"] == {"slm": 4, "template": 2, "llm": 2, "human": 3}
    assert (r["deflected"], r["answered_locally"], r["answered_hosted"]) == (8, 6, 2)
    assert r["deflection_rate"] == round(8 / 11, 4)
    assert r["answered_locally_rate"] == round(6 / 11, 4)
    assert r["llm_share"] == round(2 / 11, 4)
    assert r["escalation_rate"] == round(3 / 11, 4)
    assert r["escalations_by_reason"] == {"signal:legal_threat": 1, "signal:human_request": 1,
                                          "low_confidence": 1, "llm_error": 1}
    assert r["escalation_rate_by_reason"]["llm_error"] == round(1 / 11, 4)


def test_resolution_is_confirmed_or_assumed_and_never_from_the_last_outcome(
        store_url: str) -> None:
    seed_store(store_url)
    r = _report(store_url)
    # confirmed: T1 (a CSAT after 'resolved' keeps it resolved), T7, T8; T5 was reopened after
    assert r["resolved_confirmed"] == 3
    # assumed: T2 only (delivered 5 days ago, no follow-up); T3 is inside the 72 h window
    assert r["resolved_assumed"] == 1 and r["resolved"] == 4
    assert r["resolution_rate_confirmed"] == round(3 / 11, 4)
    assert r["resolution_rate_assumed"] == round(1 / 11, 4)
    assert r["resolution_rate"] == round(4 / 11, 4)
    assert r["automated_resolutions"] == 3  # T1, T2, T7 (T8 was resolved by a person)
    assert (r["reopened"], r["not_helpful"], r["agent_edited"], r["agent_overridden"]) == (
        1, 1, 1, 1)
    assert r["reopen_rate"] == round(1 / 8, 4) and r["negative_outcome_rate"] == 0.5
    # local answers: T1 T2 T3 T4 T5 T12; settled all but T3; accurate T1 T2
    assert r["local_answers_settled"] == 5 and r["local_answers_accurate"] == 2
    assert r["local_accuracy"] == 0.4
    assert r["csat_mean"] == 3.5 and r["csat_responses"] == 2 and r["csat_scale"] == [1, 5]
    assert r["human_handled"] == 5  # T8 T9 T10 escalated, T6 edited, T12 overridden


def test_costs_counterfactual_and_savings(store_url: str) -> None:
    seed_store(store_url)
    r = _report(store_url)
    local = (145 + 4500) * 1e-6  # decision ms of every decided ticket + local draft ms
    hosted = (100 + 200) * 1e-6 + (50 + 100) * 2e-6
    human = 5 * 2.0
    assert r["cost_usd"]["local"] == round(local, 6)
    assert r["cost_usd"]["hosted"] == round(hosted, 6)
    assert r["cost_usd"]["human"] == human
    assert r["total_cost_usd"] == round(local + hosted + human, 6)
    assert r["cost_per_resolved_usd"] == round((local + hosted + human) / 4, 6)
    # all-LLM: T6/T7 with their real tokens, the 9 other finished tickets estimated
    tok = Tokenizer("gpt-4o-mini")
    prompt = 300 + 9 * tok.count_messages(build_messages(TEXT, []))
    completion = 150 + 9 * tok.count(REPLY)
    all_llm = prompt * 1e-6 + completion * 2e-6
    assert r["all_llm_cost_usd"] == pytest.approx(all_llm, abs=2e-6)
    assert r["savings_usd"] == pytest.approx(all_llm - local - hosted, abs=2e-6)
    cf = r["pricing"]["counterfactual"]
    assert cf["model"] == "gpt-4o-mini" and cf["source"] == "configured"
    assert cf["sampled_tickets"] == 12
    assert r["hosted_tokens"] == {"prompt": 300, "completion": 150}
    assert r["warnings"] == []


def test_latency_percentiles_per_route_use_nearest_rank(store_url: str) -> None:
    seed_store(store_url)
    r = _report(store_url)
    # slm end to end: 2,2,2,3,4,5,6 s → p50 = 4th = 3 s, p95 = 7th = 6 s
    assert r["latency_ms"]["slm"] == {"n": 7, "p50": 3000.0, "p95": 6000.0}
    assert r["latency_ms"]["llm"] == {"n": 2, "p50": 3000.0, "p95": 10000.0}
    assert r["latency_ms"]["human"] == {"n": 2, "p50": 1000.0, "p95": 1000.0}
    assert r["decision_latency_ms"]["slm"] == {"n": 7, "p50": 10.0, "p95": 30.0}
    assert "undecided" not in r["decision_latency_ms"]


def test_per_intent_and_slices(store_url: str) -> None:
    seed_store(store_url)
    r = _report(store_url, by="channel")
    order = r["by_intent"]["order_status"]
    assert (order["tickets"], order["deflected"], order["escalated"]) == (3, 2, 1)
    assert (order["resolved_confirmed"], order["resolved_assumed"]) == (1, 1)
    assert r["by_intent"]["shipping"]["local_accuracy"] == 0.0  # T4, T12 settled, both negative
    rows = {row["key"]: row for row in r["slices"]}
    assert set(rows) == {"email", "chat"}
    assert (rows["email"]["tickets"], rows["email"]["finished"], rows["email"]["deflected"]) == (
        8, 7, 7)
    assert (rows["chat"]["tickets"], rows["chat"]["deflected"]) == (4, 1)
    assert rows["chat"]["latency_ms"]["p95"] == 10000.0
    days = {row["key"]: row["tickets"] for row in _report(store_url, by="day")["slices"]}
    assert days["2026-06-08"] == 2 and days["2026-06-04"] == 3 and sum(days.values()) == 12
    weeks = {row["key"]: row["tickets"] for row in _report(store_url, by="week")["slices"]}
    assert weeks == {"2026-06-01": 7, "2026-06-08": 5}  # Mondays; T8, T9 fell on Sunday 7th
    routes = {row["key"]: row for row in _report(store_url, by="route")["slices"]}
    assert routes["slm"]["answered_locally"] == 6 and routes["slm"]["answered_hosted"] == 1


def test_window_since_until(store_url: str) -> None:
    seed_store(store_url)
    from datetime import UTC

    w = Window(since=datetime(2026, 6, 5, tzinfo=UTC), until=datetime(2026, 6, 9, tzinfo=UTC),
               now=NOW)
    r = _report(store_url, w)
    assert r["tickets"] == 5  # T1 T2 T7 T8 T9
    assert r["window"]["since"].startswith("2026-06-05")


def test_unknown_hosted_model_price_is_reported_not_silently_zero(sqlite_url: str) -> None:
    seed_store(sqlite_url, model="openai/my-private-model")
    with unit_of_work(sqlite_url) as s:
        r = build_report(s, Window(now=NOW), settings=SETTINGS, llm=LLMSettings(),
                         prices=PriceSettings())
    assert r["cost_usd"]["hosted"] == 0.0
    assert any("my-private-model" in w and "DESKROUTE_LLM_PRICE_INPUT_PER_MTOK" in w
               for w in r["warnings"])
    assert r["pricing"]["hosted_models"][0]["source"] == "unknown"
    # the counterfactual model is in litellm's map: its price comes from there
    assert r["pricing"]["counterfactual"]["source"] == "litellm"
    assert r["all_llm_cost_usd"] > 0


def test_empty_store_gives_zeros_not_errors(sqlite_url: str) -> None:
    r = _report(sqlite_url)
    assert r["tickets"] == 0 and r["deflection_rate"] == 0.0 and r["latency_ms"] == {}
    assert r["cost_per_resolved_usd"] is None and r["local_accuracy"] is None
