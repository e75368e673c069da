"""``deskroute report --promotion`` over a real store, and ``deskroute policy promote``.

Edge cases of the rule: no drafts, too few, all sent as-is, drafts nobody answered within the
settle time (ignored), and the shadow comparison saying the hosted model is clearly better.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from policies import DEFAULT_POLICY, parse_policy
from router.cli.main import app
from router.domain import Decision, Draft, InboundTicket, Mode, Route, TicketState, Verdict
from router.rollout.evidence import promotion_report
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work
from router.store.models import utcnow

FEEDBACK = {"sent_as_is", "edited", "rewritten", "ignored"}


def _policy(tmp_path: Path, evidence: str = "") -> Path:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    if evidence:
        text = text.replace("    min_drafts: 50 ", f"    min_drafts: {evidence} ")
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _seed(url: str, intent: str, kinds: list[str | None], *, age_hours: float = 1.0,
          backend: str = "template", compare: list[str] | None = None,
          state: TicketState = TicketState.ASSISTED) -> None:
    """One drafted ticket per entry: its judged kind, or None (no agent reply yet)."""
    with unit_of_work(url) as s:
        start = s.scalar(select(m.Ticket.id).order_by(m.Ticket.id.desc()).limit(1)) or 0
        for i, kind in enumerate(kinds):
            t, _ = repo.insert_ticket(s, InboundTicket(
                source="generic", external_id=f"{intent}-{start + i}", body="text"))
            t.created_at = utcnow() - timedelta(hours=age_hours)
            repo.add_decision(s, t.id, Decision(
                route=Route.SLM, intent=intent, confidence=0.9, reasons=("r",),
                policy_name="p", policy_hash="h", classifier_version="c",
                mode=Mode.ASSIST), 1.0)
            d = repo.add_draft(s, t.id, Draft(backend=backend, model=f"{backend}-m", text="a"),
                               Verdict(score=1.0))
            repo.set_state(s, t, state)
            judged = [(d, kind)]
            if compare is not None:
                c = repo.add_draft(s, t.id, Draft(backend="llm", model="big", text="b"),
                                   Verdict(score=1.0), purpose="compare")
                judged.append((c, compare[i]))
            for draft, k in judged:
                if k is not None:
                    s.add(m.DraftFeedback(
                        ticket_id=t.id, draft_id=draft.id, kind=k, route="slm", intent=intent,
                        mode="assist", purpose=draft.purpose, backend=draft.backend,
                        model=draft.model))
            s.flush()


def _report(url: str, policy: Path) -> dict[str, dict]:
    with unit_of_work(url) as s:
        data = promotion_report(s, parse_policy(policy.read_text(), source=str(policy)))
    return {r["intent"]: r for r in data["intents"]}


def test_no_drafts_means_no_rows_and_the_cli_says_so(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _report(sqlite_url, _policy(tmp_path)) == {}
    monkeypatch.setenv("DESKROUTE_POLICY", str(_policy(tmp_path)))
    res = CliRunner().invoke(app, ["report", "--promotion", "--database-url", sqlite_url])
    assert res.exit_code == 0 and "No drafts yet" in res.output


def test_few_drafts_all_as_is_and_settled_but_unanswered(
        sqlite_url: str, tmp_path: Path) -> None:
    policy = _policy(tmp_path, evidence="20")
    _seed(sqlite_url, "order_status", ["sent_as_is"] * 5)  # all as-is, but too few
    _seed(sqlite_url, "shipping_time", ["sent_as_is"] * 40)  # all as-is, enough
    _seed(sqlite_url, "refund_status", ["sent_as_is"] * 30 + [None] * 10, age_hours=100)
    _seed(sqlite_url, "refund_status", [None] * 3)  # recent: not settled yet
    _seed(sqlite_url, "cancel_order", ["sent_as_is"] * 18 + ["edited"] * 10 + ["rewritten"] * 8
          + ["ignored"] * 4)
    rows = _report(sqlite_url, policy)
    few = rows["order_status"]
    assert (few["drafts_seen"], few["settled"], few["recommendation"]) == (5, 5, "keep")
    assert few["usable_share"] == 1.0 and "5 of 20" in few["why"]
    good = rows["shipping_time"]
    assert good["recommendation"] == "promote_to_auto" and good["lower_bound"] > 0.9
    late = rows["refund_status"]
    assert (late["drafts_seen"], late["settled"], late["pending"]) == (43, 40, 3)
    assert late["unanswered"] == 10 and late["ignored"] == 10 and late["usable"] == 30
    assert late["usable_share"] == 0.75 and late["recommendation"] == "keep"
    mixed = rows["cancel_order"]
    assert {k: mixed[k] for k in FEEDBACK} == {"sent_as_is": 18, "edited": 10,
                                                "rewritten": 8, "ignored": 4}
    assert mixed["usable_share"] == 0.7 and mixed["lower_bound"] < 0.7
    assert mixed["by_model"] == [{"backend": "template", "model": "template-m", "judged": 40,
                                  "usable": 28, "share": 0.7}]


def test_shadow_comparison_recommends_the_llm_when_it_is_clearly_better(
        sqlite_url: str, tmp_path: Path) -> None:
    _seed(sqlite_url, "damaged_item", ["ignored"] * 6 + ["sent_as_is"] * 4,
          compare=["edited"] * 9 + ["ignored"])
    row = _report(sqlite_url, _policy(tmp_path))["damaged_item"]
    assert row["shadow_compare"] == {"tickets": 10, "local_share": 0.4, "llm_share": 0.9,
                                     "gap": pytest.approx(0.5)}
    assert row["recommendation"] == "send_to_llm"
    assert row["drafts_seen"] == 10 and row["settled"] == 10  # comparison drafts not counted


def test_cli_json_then_promote_then_the_intent_reads_in_auto(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = _policy(tmp_path, evidence="20")
    monkeypatch.setenv("DESKROUTE_POLICY", str(policy))
    _seed(sqlite_url, "shipping_time", ["sent_as_is"] * 40)  # lower bound 0.912
    runner = CliRunner()
    res = runner.invoke(app, ["report", "--promotion", "--json", "--database-url", sqlite_url])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    (row,) = data["intents"]
    assert row["recommendation"] == "promote_to_auto" and data["policy"]["version"] == 1
    table = runner.invoke(app, ["report", "--promotion", "--database-url", sqlite_url])
    assert "deskroute policy promote shipping_time --to auto" in table.output
    done = runner.invoke(app, ["policy", "promote", "shipping_time", "--to", "auto", "--json"])
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert (out["previous_mode"], out["mode"], out["version"]) == ("assist", "auto", 2)
    assert out["old_hash"] == data["policy"]["hash"] != out["new_hash"]
    assert Path(out["kept"]).name == "shop.v1.yaml"
    after = json.loads(runner.invoke(app, ["report", "--promotion", "--json",
                                           "--database-url", sqlite_url]).stdout)
    assert after["intents"][0]["recommendation"] == "in_auto"
    assert after["policy"]["hash"] == out["new_hash"]
    again = runner.invoke(app, ["policy", "promote", "shipping_time", "--to", "auto"])
    assert again.exit_code == 2 and "already in auto" in again.output
    bad = runner.invoke(app, ["policy", "promote", "shipping_time", "--to", "yolo"])
    assert bad.exit_code == 2 and "expected one of shadow, assist, auto" in bad.output


def test_promoting_the_shipped_policy_is_refused_in_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKROUTE_POLICY", raising=False)
    res = CliRunner().invoke(app, ["policy", "promote", "order_status", "--to", "auto"])
    assert res.exit_code == 2 and "shipped with deskroute" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_agent_answered_tickets_count_as_human_handled_not_deflected(sqlite_url: str) -> None:
    from router.pricing import PriceSettings
    from router.reports import build_report
    from router.reports.settings import ReportSettings
    from router.settings import LLMSettings

    _seed(sqlite_url, "order_status", ["sent_as_is"], state=TicketState.ASSISTED)
    _seed(sqlite_url, "order_status", [None], state=TicketState.SHADOWED)
    _seed(sqlite_url, "order_status", [None], state=TicketState.DELIVERED)
    with unit_of_work(sqlite_url) as s:
        r = build_report(s, settings=ReportSettings(human_cost_per_ticket=2.0),
                         llm=LLMSettings(), prices=PriceSettings())
    assert r["human_handled"] == 2 and r["cost_usd"]["human"] == 4.0
    assert r["deflected"] == 1
