"""Regression: 120 hand-written shop tickets through the shipped defaults, judged.

tests/data/shop_tickets.csv holds routine tickets the demo KB covers, questions it does not
cover ("Do you ship to Canada?"), risky and off-topic ones, each labelled with the intent of
the approved answer that answers it (or ``none``) and whether that answer would still need an
edit. Every ticket is routed (shipped classifier, risk signals, default policy) and, where
the route is local, answered by the pipeline's own LocalAnswerer in the default mode; every
reply that would be sent is judged by the rules in docs/KB.md (router.kb.judge). None may be
wrong, and enough must be sent that escalating everything cannot pass.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from router.domain import Route
from router.kb.judge import EDIT, SENDABLE, WRONG, Labelled, judge

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "shop_tickets.csv"


def _tickets() -> list[tuple[str, Labelled]]:
    with DATA.open(newline="", encoding="utf-8") as fh:
        return [(r["id"], Labelled(r["text"], r["answer_intent"], r["expect"] or SENDABLE))
                for r in csv.DictReader(fh)]


def test_the_labelled_set_has_what_the_issue_asks_for() -> None:
    tickets = _tickets()
    covered = [t for _, t in tickets if t.answer_intent != "none"]
    assert len(tickets) >= 100 and len(covered) >= 50 and len(tickets) - len(covered) >= 40
    assert any("Canada" in t.text for _, t in tickets)


def test_no_wrong_answer_is_sent_in_the_default_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from router.kb.importers import ensure_default_kb
    from router.kb.settings import KBSettings
    from router.pipeline.routing import route_text
    from router.pipeline.services import Services
    from router.store.db import unit_of_work
    from router.store.migrate import upgrade

    for var in ("DESKROUTE_POLICY", "DESKROUTE_LLM_MODEL", "DESKROUTE_KB_MODE",
                "DESKROUTE_KB_TEMPLATE_REPHRASE", "DESKROUTE_KB_MIN_RELEVANCE"):
        monkeypatch.delenv(var, raising=False)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)
    with unit_of_work(url) as session:
        ensure_default_kb(session)
    services = Services(database_url=url, kb_settings=KBSettings(dir=tmp_path / "kb"))
    answerer = services.local_answerer()
    by_intent: dict[str | None, list[str]] = {}
    for entry in services.kb.entries:
        by_intent.setdefault(entry.intent, []).append(entry.answer)

    verdicts: Counter[str] = Counter()
    wrong: list[str] = []
    for tid, ticket in _tickets():
        decision = route_text(services, ticket.text).decision
        if decision.route is not Route.SLM:
            continue
        res = answerer.answer(ticket.text, decision.intent)
        if not res.verdict.accepted:
            continue
        verdict, why = judge(ticket, res.draft.text, res.source_intent,
                             by_intent.get(ticket.answer_intent, []))
        verdicts[verdict] += 1
        if verdict == WRONG:
            wrong.append(f"{tid} {ticket.text!r}: {why}\n    -> {res.draft.text[:160]}")
    print(dict(verdicts))
    assert not wrong, "\n".join(wrong)
    # Escalating everything would pass the line above: a floor keeps the test honest
    # (measured: see docs/KB.md; the floor sits a little below it).
    assert verdicts[SENDABLE] + verdicts[EDIT] >= 40, verdicts
