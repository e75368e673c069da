"""The ticket list, drill-down, outcomes and knowledge-base endpoints over real HTTP handling."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from router.api.app import create_app
from router.kb.index import fingerprint, load_entries
from router.store import models as m
from router.store.db import unit_of_work
from tests.unit.reports.conftest import seed_store

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DESKROUTE_ADMIN_TOKEN", TOKEN)
    with TestClient(create_app(database_url=sqlite_url, embedded_worker=False)) as c:
        yield c


def _kb_entry(url: str, answer: str = "We ship in 2 days.", intent: str = "shipping") -> int:
    with unit_of_work(url) as s:
        e = m.KBEntry(kb="default", source="t.csv", ref="1", title="Shipping",
                      question="How long does shipping take?", answer=answer, intent=intent,
                      content_hash=f"h-{answer}")
        s.add(e)
        s.flush()
        return e.id


def test_ticket_list_filters_and_pages(client: TestClient, sqlite_url: str) -> None:
    seed_store(sqlite_url)
    assert client.get("/tickets").status_code == 401
    page = client.get("/tickets", headers=AUTH).json()
    assert page["total"] == 12 and len(page["items"]) == 12
    assert page["items"][0]["external_id"] == "T12"  # newest id first
    esc = client.get("/tickets?state=escalated", headers=AUTH).json()
    assert {i["external_id"] for i in esc["items"]} == {"T8", "T9", "T10"}
    llm = client.get("/tickets?route=llm&state=delivered", headers=AUTH).json()
    assert [i["external_id"] for i in llm["items"]] == ["T7"]
    assert client.get("/tickets?q=t11", headers=AUTH).json()["total"] == 1  # external id
    assert client.get("/tickets?q=ARRIVED+order", headers=AUTH).json()["total"] == 12
    assert client.get("/tickets?q=100%25", headers=AUTH).json()["total"] == 0  # % is literal
    two = client.get("/tickets?limit=2&offset=2", headers=AUTH).json()
    assert two["total"] == 12 and [i["external_id"] for i in two["items"]] == ["T10", "T9"]
    assert client.get("/tickets?since=banana", headers=AUTH).status_code == 422


def test_drill_down_shows_decision_drafts_deliveries_outcomes_and_the_kb_entry(
        client: TestClient, sqlite_url: str) -> None:
    ids = seed_store(sqlite_url)
    entry = _kb_entry(sqlite_url)
    with unit_of_work(sqlite_url) as s:
        draft = s.query(m.DraftRow).filter_by(ticket_id=ids["T2"]).one()
        draft.meta = {"kb_entry_ids": [entry]}
    t = client.get(f"/tickets/{ids['T2']}", headers=AUTH).json()
    assert t["decision"]["route"] == "slm" and t["decision"]["intent"] == "order_status"
    assert t["drafts"][0]["kb_entry_ids"] == [entry]
    assert t["answered_from"][0]["question"] == "How long does shipping take?"
    assert t["deliveries"][0]["ok"] is True and t["resolution"] == "assumed"
    t6 = client.get(f"/tickets/{ids['T6']}", headers=AUTH).json()
    assert [d["backend"] for d in t6["drafts"]] == ["slm", "llm"]
    assert t6["outcomes"][0]["kind"] == "agent_edit" and t6["resolution"] == "negative"
    assert client.get("/tickets/99999", headers=AUTH).status_code == 404


def test_outcomes_validate_the_csat_scale_and_keep_resolution(
        client: TestClient, sqlite_url: str) -> None:
    ids = seed_store(sqlite_url)
    url = f"/tickets/{ids['T3']}/outcomes"
    bad = client.post(url, json={"kind": "csat", "value": 9}, headers=AUTH)
    assert bad.status_code == 422 and "1 to 5" in bad.text
    assert client.post(url, json={"kind": "csat"}, headers=AUTH).status_code == 422
    assert client.post(url, json={"kind": "great"}, headers=AUTH).status_code == 422
    assert client.post(url, json={"kind": "resolved", "value": 1},
                       headers=AUTH).status_code == 422
    ok = client.post(url, json={"kind": "resolved", "event_id": "zd-1"}, headers=AUTH)
    assert ok.status_code == 201 and ok.json()["source"] == "api"
    again = client.post(url, json={"kind": "resolved", "event_id": "zd-1"}, headers=AUTH)
    assert again.json()["id"] == ok.json()["id"]
    assert client.post(url, json={"kind": "csat", "value": 4}, headers=AUTH).status_code == 201
    t = client.get(f"/tickets/{ids['T3']}", headers=AUTH).json()
    assert [o["kind"] for o in t["outcomes"]] == ["resolved", "csat"]
    assert t["resolution"] == "confirmed"  # a rating after 'resolved' does not undo it
    missing = client.post("/tickets/99999/outcomes", json={"kind": "resolved"}, headers=AUTH)
    assert missing.status_code == 404


def test_kb_list_edit_retire_and_retrieval_skips_retired(
        client: TestClient, sqlite_url: str) -> None:
    first = _kb_entry(sqlite_url)
    second = _kb_entry(sqlite_url, "Returns are free for 30 days.", "returns")
    listed = client.get("/kb", headers=AUTH).json()
    assert listed["total"] == 2
    assert client.get("/kb?q=returns", headers=AUTH).json()["items"][0]["id"] == second
    with unit_of_work(sqlite_url) as s:
        before = fingerprint(s)
    edited = client.patch(f"/kb/{first}", json={"answer": "We ship within 24 hours."},
                          headers=AUTH).json()
    assert edited["answer"] == "We ship within 24 hours." and edited["updated_at"]
    assert client.patch(f"/kb/{first}", json={"answer": ""}, headers=AUTH).status_code == 422
    assert client.patch(f"/kb/{first}", json={"nope": 1}, headers=AUTH).status_code == 422
    retired = client.post(f"/kb/{second}/retire", headers=AUTH).json()
    assert retired["retired_at"]
    assert client.get("/kb", headers=AUTH).json()["total"] == 1
    assert client.get("/kb?include_retired=true", headers=AUTH).json()["total"] == 2
    with unit_of_work(sqlite_url) as s:
        assert [e.id for e in load_entries(s)] == [first]  # never retrieved again
        assert fingerprint(s) != before  # running workers reload
    assert client.post(f"/kb/{second}/restore", headers=AUTH).json()["retired_at"] is None
    assert client.get("/kb/424242", headers=AUTH).status_code == 404


def test_report_endpoint_slices_and_refuses_bad_arguments(
        client: TestClient, sqlite_url: str) -> None:
    seed_store(sqlite_url)
    r = client.get("/report?by=channel", headers=AUTH).json()
    assert r["tickets"] == 12 and {s["key"] for s in r["slices"]} == {"email", "chat"}
    assert client.get("/report?by=colour", headers=AUTH).status_code == 422
    assert client.get("/report?since=2d&until=5d", headers=AUTH).status_code == 422
