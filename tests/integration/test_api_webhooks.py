"""The webhook contract: signed, idempotent, bad input refused with nothing stored."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from connectors.signing import signed_headers
from router.api.app import create_app
from router.store import models as m
from router.store.db import unit_of_work

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def client(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("DESKROUTE_MAX_BODY_BYTES", "2048")
    with TestClient(create_app(database_url=sqlite_url, embedded_worker=False)) as c:
        yield c


def _post(client: TestClient, payload: dict | bytes, msg_id: str = "msg_1", **kw):  # type: ignore[no-untyped-def]
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = signed_headers(SECRET, msg_id, body, **kw)
    return client.post("/webhooks/generic", content=body, headers=headers)


def _count(url: str, model: type) -> int:
    with unit_of_work(url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_signed_ticket_is_stored_with_an_outbox_row_and_answered_202(
        client: TestClient, sqlite_url: str) -> None:
    r = _post(client, {"id": "ext-1", "body": "Where is my order?"})
    assert r.status_code == 202, r.text
    tid = r.json()["ticket_id"]
    view = client.get(f"/tickets/{tid}").json()
    assert view["state"] == "received" and view["external_id"] == "ext-1"
    assert _count(sqlite_url, m.OutboxRow) == 1


def test_duplicate_delivery_creates_one_ticket(client: TestClient, sqlite_url: str) -> None:
    first = _post(client, {"id": "dup", "body": "hello"}, msg_id="msg_a")
    again = _post(client, {"id": "dup", "body": "hello"}, msg_id="msg_b")
    assert first.json()["ticket_id"] == again.json()["ticket_id"]
    assert again.json()["duplicate"] is True
    assert _count(sqlite_url, m.Ticket) == 1 and _count(sqlite_url, m.OutboxRow) == 1


def test_unsigned_webhook_is_401_and_stores_nothing(client: TestClient, sqlite_url: str) -> None:
    r = client.post("/webhooks/generic", json={"id": "x", "body": "hi"})
    assert r.status_code == 401
    assert _count(sqlite_url, m.Ticket) == 0


def test_forged_signature_is_401(client: TestClient, sqlite_url: str) -> None:
    body = json.dumps({"id": "x", "body": "hi"}).encode()
    headers = signed_headers("whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ==", "m", body)
    assert client.post("/webhooks/generic", content=body, headers=headers).status_code == 401
    assert _count(sqlite_url, m.Ticket) == 0


def test_replayed_webhook_outside_window_is_401(client: TestClient, sqlite_url: str) -> None:
    r = _post(client, {"id": "old", "body": "hi"}, now=time.time() - 3600)
    assert r.status_code == 401 and "replay" in r.json()["detail"]
    assert _count(sqlite_url, m.Ticket) == 0


def test_malformed_json_is_422_naming_the_field(client: TestClient, sqlite_url: str) -> None:
    r = _post(client, {"id": "no-body"})
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == "body"
    bad = _post(client, b"{not json")
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "body"
    assert _count(sqlite_url, m.Ticket) == 0


def test_oversized_body_is_413(client: TestClient, sqlite_url: str) -> None:
    r = _post(client, {"id": "big", "body": "x" * 5000})
    assert r.status_code == 413
    assert _count(sqlite_url, m.Ticket) == 0


def test_unknown_source_is_404(client: TestClient) -> None:
    assert client.post("/webhooks/nosuch", content=b"{}").status_code == 404


def test_healthz_and_outcome_recording(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    tid = _post(client, {"id": "o1", "body": "hi"}).json()["ticket_id"]
    assert client.post(f"/tickets/{tid}/outcomes", json={"kind": "resolved"}).status_code == 201
    assert client.post(f"/tickets/{tid}/outcomes", json={"kind": "nope"}).status_code == 422
    assert client.post("/tickets/999/outcomes", json={"kind": "resolved"}).status_code == 404


def test_admin_token_protects_ticket_reads(sqlite_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_ADMIN_TOKEN", "t0k3n-for-tests-only")
    with TestClient(create_app(database_url=sqlite_url, embedded_worker=False)) as c:
        assert c.get("/tickets/1").status_code == 401
        ok = c.get("/tickets/1", headers={"authorization": "Bearer t0k3n-for-tests-only"})
        assert ok.status_code == 404
