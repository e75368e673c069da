from __future__ import annotations

from datetime import timedelta

import pytest

from router.domain import Decision, Draft, InboundTicket, Route, TicketState, Verdict
from router.outcomes import record_outcome
from router.pricing import PriceSettings
from router.reports import build_report, parse_since
from router.reports.settings import ReportSettings
from router.settings import LLMSettings, StoreSettings
from router.store import outbox, repo
from router.store.db import make_engine, unit_of_work
from router.store.models import utcnow


def _ticket(ext: str, body: str = "where is my order") -> InboundTicket:
    return InboundTicket(source="generic", external_id=ext, body=body)


def test_duplicate_delivery_creates_one_ticket_and_one_outbox_row(sqlite_url: str) -> None:
    with unit_of_work(sqlite_url) as s:
        first, created = repo.insert_ticket(s, _ticket("a"))
    with unit_of_work(sqlite_url) as s:
        second, created_again = repo.insert_ticket(s, _ticket("a"))
        assert outbox.unfinished_count(s) == 1
    assert created and not created_again and first.id == second.id


def test_due_outbox_returns_pending_and_lost_rows_only(sqlite_url: str) -> None:
    with unit_of_work(sqlite_url) as s:
        t, _ = repo.insert_ticket(s, _ticket("b"))
        rows = outbox.due_outbox(s)
        assert [r.task for r in rows] == ["decide"]
        outbox.mark_enqueued(s, rows[:1], resend_after=60)
        assert outbox.due_outbox(s) == []
        # an enqueued row no worker started is handed out again once presumed lost
        rows[0].available_at = utcnow() - timedelta(seconds=1)
        assert len(outbox.due_outbox(s)) == 1
        outbox.finish(s, rows[0].id)
        s.expire_all()
        assert outbox.due_outbox(s) == []


def _finish(s, ext: str, route: Route, state: TicketState, cost: float, backend: str) -> int:  # type: ignore[no-untyped-def]
    t, _ = repo.insert_ticket(s, _ticket(ext))
    repo.add_decision(s, t.id, Decision(route, "order_status", 0.9, ("r",), "default", "h",
                                        "clf"), latency_ms=5.0)
    repo.add_draft(s, t.id, Draft(backend, "m", "answer", 10, 20, 100.0, cost),
                   Verdict(0.9, () if state is TicketState.DELIVERED else ("why",)))
    repo.set_state(s, t, state, reason=None if state is TicketState.DELIVERED else "why")
    return t.id


def test_report_counts_routes_deflection_and_tokens(sqlite_url: str) -> None:
    with unit_of_work(sqlite_url) as s:
        a = _finish(s, "1", Route.SLM, TicketState.DELIVERED, 0.0, "slm")
        _finish(s, "2", Route.LLM, TicketState.DELIVERED, 0.002, "llm")
        _finish(s, "3", Route.HUMAN, TicketState.ESCALATED, 0.0, "slm")
        repo.insert_ticket(s, _ticket("4"))  # still pending
        record_outcome(s, a, "resolved")
    with unit_of_work(sqlite_url) as s:
        r = build_report(s, settings=ReportSettings(), llm=LLMSettings(), prices=PriceSettings())
    assert r["tickets"] == 4 and r["finished"] == 3 and r["pending"] == 1
    assert r["by_route"] == {"slm": 1, "llm": 1, "human": 1, "undecided": 1}
    assert r["answered_by"] == {"slm": 1, "llm": 1, "human": 1}
    assert r["deflection_rate"] == round(2 / 3, 4)
    assert r["routes"]["llm"]["hosted_tokens"] == {"prompt": 10, "completion": 20}
    assert r["resolved_confirmed"] == 1
    # model "m" is not in litellm's price map: priced at $0 and said so
    assert r["cost_usd"]["hosted"] == 0.0 and any("'m'" in w for w in r["warnings"])


def test_parse_since_accepts_relative_and_iso() -> None:
    assert parse_since(None) is None
    assert parse_since("7d") is not None
    assert parse_since("2026-01-01").year == 2026  # type: ignore[union-attr]
    import pytest

    with pytest.raises(ValueError, match="--since"):
        parse_since("yesterday-ish")


def test_the_postgresql_pool_keeps_db_pool_size_connections() -> None:
    """DESKROUTE_DB_POOL_SIZE sizes the pool: SQLAlchemy's default of 5, under the API's
    threads, opened and closed overflow connections under load (issue 14)."""
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none", StoreSettings(db_pool_size=17))
    try:
        assert engine.pool.size() == 17  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_intake_works_on_sqlite_without_returning(sqlite_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite before 3.35 (the system Python of Debian 11, RHEL 9, Ubuntu 20.04) has no
    # RETURNING (a syntax error there); SQLAlchemy's dialect then says insert_returning =
    # False, as set here. The webhook's inserts must not send RETURNING to such a SQLite.
    from sqlalchemy import event

    from router.store.db import get_engine
    from router.store.replay import record_message

    engine = get_engine(sqlite_url)
    monkeypatch.setattr(engine.dialect, "insert_returning", False)
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    with unit_of_work(sqlite_url) as s:
        first = repo.store_ticket(s, _ticket("old-sqlite"))
        assert record_message(s, "generic", "msg_1", "digest-a", first.id) == "digest-a"
        s.commit()
    with unit_of_work(sqlite_url) as s:
        again = repo.store_ticket(s, _ticket("old-sqlite"))
        assert record_message(s, "generic", "msg_1", "digest-b", again.id) == "digest-a"
        other = repo.store_ticket(s, _ticket("old-sqlite-2"))
        s.commit()
        rows = outbox.due_outbox(s)
    assert first.created and not again.created and again.id == first.id
    assert other.created and other.id != first.id and first.state == "received"
    assert sorted(r.ticket_id for r in rows) == sorted([first.id, other.id])
    assert sent and not [q for q in sent if "RETURNING" in q.upper()]
