"""Issue 18's probe, case by case, on SQLite and PostgreSQL: 401/409/422 with a reason, never
a 5xx, nothing stored for a refused request, and the two stores answering alike."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from connectors.signing import signed_headers
from router.api import logs as router_logs
from router.api import webhooks
from router.api.app import create_app
from router.store import models as m
from router.store.db import unit_of_work
from router.store.models import utcnow

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "adm-7f3c9e1b5d2a8c4e6f0b"


# One store per database kind for the whole module (creating one per test doubled the time):
# tests use their own ticket and webhook ids and compare counts before and after.
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    kind = "sqlite_url_module" if request.param == "sqlite" else "pg_url_module"
    return str(request.getfixturevalue(kind))


@pytest.fixture(scope="module")
def client(store: str) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as env:  # connectors read their settings per request
        env.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
        env.setenv("DESKROUTE_ADMIN_TOKEN", TOKEN)
        with TestClient(create_app(database_url=store, embedded_worker=False)) as c:
            yield c


def post(client: TestClient, payload: object, msg_id: str | None = None):  # type: ignore[no-untyped-def]
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = signed_headers(SECRET, msg_id or f"msg_{uuid.uuid4().hex}", body)
    return client.post("/webhooks/generic", content=body, headers=headers)


def count(url: str, model: type) -> int:
    with unit_of_work(url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


ADMIN = {"authorization": f"Bearer {TOKEN}"}


# --- headers any caller can send: 401, never 500 ---------------------------------------------


@pytest.mark.parametrize("name,value", [
    ("webhook-timestamp", "9" * 401),
    ("webhook-timestamp", "１７００".encode().decode("latin-1")),  # UTF-8 bytes on the wire
    ("webhook-signature", b"v1,\xff\xfe".decode("latin-1")),
    ("webhook-id", b"msg_\xe9".decode("latin-1")),
    ("webhook-id", "x" * 300),
])
def test_malformed_signature_headers_are_401(client: TestClient, store: str, name: str,
                                             value: str) -> None:
    before = count(store, m.Ticket)
    body = json.dumps({"id": new_id(), "body": "hello"}).encode()
    headers = signed_headers(SECRET, "msg_h", body)
    headers[name] = value
    r = client.post("/webhooks/generic", content=body,
                    headers={k: v.encode("latin-1") for k, v in headers.items()})
    assert r.status_code == 401, r.text
    assert count(store, m.Ticket) == before


def test_non_ascii_authorization_is_401(client: TestClient) -> None:
    r = client.get("/report", headers={"authorization": "Bearer t\xf6ken".encode("latin-1")})
    assert r.status_code == 401


def test_admin_token_only_as_bearer(client: TestClient) -> None:
    assert client.get("/report", headers={"authorization": TOKEN}).status_code == 401
    assert client.get("/report", headers={"authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/report", headers={"authorization": f"bearer {TOKEN}"}).status_code == 200
    assert client.get("/report", headers=ADMIN).status_code == 200


@pytest.mark.parametrize("param", ["token", "access_token", "TOKEN", "api_key"])
def test_a_token_in_the_url_is_refused(client: TestClient, param: str) -> None:
    r = client.get(f"/report?{param}={TOKEN}", headers=ADMIN)
    assert r.status_code == 400 and "Authorization: Bearer" in r.json()["detail"]
    assert client.get(f"/tickets/1?{param}={TOKEN}").status_code == 400


def test_a_token_in_the_url_never_reaches_the_access_log(client: TestClient,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        # the line uvicorn writes for such a request, with its own format and arguments
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5555", "GET",
                    f"/report?since=7d&token={TOKEN}&x=1", "1.1", 400)
    assert caplog.records and TOKEN not in caplog.text
    # ours writes token=***; once litellm is imported in the process (a hosted call, or an
    # earlier test) its own access-log filter rewrites that to REDACTED: either way no token
    assert ("/report?since=7d&token=***&x=1" in caplog.text
            or "/report?since=7d&REDACTED&x=1" in caplog.text), caplog.text


def test_the_access_log_filter_masks_the_token_without_litellm() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5555", "GET",
                               f"/report?since=7d&token={TOKEN}&x=1", "1.1", 400), None)
    assert router_logs.RedactTokens().filter(record)
    assert "/report?since=7d&token=***&x=1" in record.getMessage()
    assert TOKEN not in record.getMessage()


@pytest.mark.parametrize("since", ["bogus", "yesterday", "99999999999d", "999999999w",
                                   "2026-13-45", "7x"])
def test_report_window_errors_are_422_with_the_reason(client: TestClient, since: str) -> None:
    r = client.get("/report", params={"since": since}, headers=ADMIN)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["query", "since"] and "7d" in detail["msg"]


@pytest.mark.parametrize("since", ["7d", "24h", "2026-01-31", "2026-01-31T10:00:00+02:00"])
def test_report_windows_that_parse_are_200(client: TestClient, since: str) -> None:
    assert client.get("/report", params={"since": since}, headers=ADMIN).status_code == 200


@pytest.mark.parametrize("ticket_id", ["99999999999999999999", "2147483648", "0", "-1", "1.5"])
def test_ticket_ids_out_of_range_are_422(client: TestClient, ticket_id: str) -> None:
    assert client.get(f"/tickets/{ticket_id}", headers=ADMIN).status_code == 422
    r = client.post(f"/tickets/{ticket_id}/outcomes", json={"kind": "resolved"}, headers=ADMIN)
    assert r.status_code == 422


SAME_SITE = {**ADMIN, "origin": "http://testserver"}  # the dashboard's forms


@pytest.mark.parametrize("bad", ["99999999999999999999", "2147483648", "0", "-1", "1.5"])
@pytest.mark.parametrize("method,url,form", [
    ("GET", "/dashboard/tickets/{}", None),
    ("POST", "/dashboard/tickets/{}/outcomes", {"kind": "resolved"}),
    ("GET", "/dashboard/kb/{}", None),
    ("GET", "/dashboard/kb/{}/edit", None),
    ("POST", "/dashboard/kb/{}", {"question": "Q?", "answer": "A."}),
    ("POST", "/dashboard/kb/{}/retire", {}),
])
def test_dashboard_ids_out_of_range_are_422_like_the_api(
        client: TestClient, method: str, url: str, form: dict | None, bad: str) -> None:
    r = client.request(method, url.format(bad), data=form, headers=SAME_SITE)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][0] == "path"


@pytest.mark.parametrize("url", ["/tickets", "/kb", "/dashboard/tickets"])
@pytest.mark.parametrize("offset", ["99999999999999999999", "2147483648", "-1"])
def test_list_offsets_out_of_range_are_422(client: TestClient, url: str, offset: str) -> None:
    r = client.get(url, params={"offset": offset}, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["query", "offset"]


def test_outcome_values_the_store_cannot_hold_are_422(client: TestClient) -> None:
    tid = post(client, {"id": new_id(), "body": "hi there"}).json()["ticket_id"]
    url = f"/tickets/{tid}/outcomes"
    for bad in ('{"kind": "csat", "value": NaN}', '{"kind": "csat", "value": Infinity}',
                '{"kind": "csat", "value": 1e999}', '{"kind": "resolved", "note": "a\\u0000b"}',
                '{"kind": "resolved", "note": "\\ud800"}'):
        r = client.post(url, content=bad, headers=ADMIN | {"content-type": "application/json"})
        assert r.status_code == 422, (bad, r.text)
    assert client.post(url, json={"kind": "csat", "value": 5}, headers=ADMIN).status_code == 201


# --- payloads a signed sender may send: 422 naming the field, the same on both stores --------


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("payload,field", [
    ({"id": "p", "body": "hi", "metadata": _nested(950)}, "metadata"),
    (b'{"id": "p", "body": "hi", "metadata": {"n": ' + b"7" * 4301 + b"}}", "body"),
    ({"id": "p", "body": "hi", "metadata": {"n": 2**64}}, "metadata.n"),
    (b'{"id": "p", "body": "hi", "metadata": {"x": NaN}}', "body"),
    (b'{"id": "p", "body": "hi", "metadata": {"x": Infinity}}', "body"),
    (b'{"id": "p", "body": "hi", "metadata": {"x": 1e999}}', "body"),
    ({"id": "p", "body": "hi\u0000there"}, "body"),
    ({"id": "p", "body": "hi", "subject": "a\u0000"}, "subject"),
    ({"id": "p\u0000", "body": "hi"}, "id"),
    ({"id": "p", "body": "hi", "thread_id": "t\u0000"}, "thread_id"),
    ({"id": "p", "body": "hi", "metadata": {"k\u0000": 1}}, "metadata"),
    ({"id": "p", "body": "hi", "metadata": {"k": ["ok", "b\u0000"]}}, "metadata.k.1"),
    ({"id": "p", "body": "hi", "requester": "r" * 256}, "requester"),
    ({"id": "p", "body": "hi", "requester": {"email": "e" * 250 + "@x.example"}},
     "requester"),
    ({"id": "p", "body": "hi", "channel": "c" * 33}, "channel"),
    ({"id": "p" * 256, "body": "hi"}, "id"),
    (b'{"id": "p", "body": "\\ud800"}', "body"),
    ({"id": "p", "body": "\u200b\u200d\ufeff\u00ad \u00a0"}, "body"),
])
def test_payloads_the_store_cannot_hold_are_422_naming_the_field(
        client: TestClient, store: str, payload: object, field: str) -> None:
    before = count(store, m.Ticket), count(store, m.WebhookMessage)
    r = post(client, payload)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["field"].startswith(field), r.json()
    assert (count(store, m.Ticket), count(store, m.WebhookMessage)) == before


def test_the_longest_values_the_columns_hold_are_accepted(client: TestClient, store: str) -> None:
    before = count(store, m.Ticket)
    r = post(client, {"id": new_id() + "i" * 243, "body": "hello", "requester": "r" * 255,
                      "channel": "c" * 32, "language": "l" * 16, "thread_id": "t" * 255,
                      "metadata": {"n": 2**63 - 1, "deep": _nested(30)}})
    assert r.status_code == 202, r.text
    assert count(store, m.Ticket) == before + 1


def test_text_is_stored_normalised(client: TestClient) -> None:
    body = "My card 4111\u00a01111\u202f1111\u200b 1111 and ig\u00adnore\u2009previous"
    tid = post(client, {"id": new_id(), "body": body, "subject": "Ｏｒｄｅｒ"}).json()["ticket_id"]
    view = client.get(f"/tickets/{tid}", headers=ADMIN).json()
    assert view["body"] == "My card 4111 1111 1111 1111 and ignore previous"
    assert view["subject"] == "Order"


# --- the replay window: webhook-id is remembered ---------------------------------------------


def test_a_replayed_webhook_id_is_answered_like_the_first_and_stored_once(
        client: TestClient, store: str) -> None:
    before = [count(store, t) for t in (m.Ticket, m.OutboxRow, m.WebhookMessage)]
    payload, msg_id = {"id": new_id(), "body": "where is my order"}, f"msg_{new_id()}"
    first = post(client, payload, msg_id=msg_id)
    again = post(client, payload, msg_id=msg_id)
    assert first.status_code == again.status_code == 202
    assert again.json() == {**first.json(), "duplicate": True}
    after = [count(store, t) for t in (m.Ticket, m.OutboxRow, m.WebhookMessage)]
    assert after == [n + 1 for n in before]


def test_a_webhook_id_reused_for_another_body_is_409(client: TestClient, store: str) -> None:
    msg_id = f"msg_{new_id()}"
    assert post(client, {"id": new_id(), "body": "first"}, msg_id=msg_id).status_code == 202
    before = count(store, m.Ticket)
    r = post(client, {"id": new_id(), "body": "second"}, msg_id=msg_id)
    assert r.status_code == 409 and "webhook-id" in r.json()["detail"]
    assert count(store, m.Ticket) == before


def test_ids_older_than_the_window_are_purged(client: TestClient, store: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "PURGE_EVERY", 0.0)  # on every request, not every 10 s
    old, new = f"msg_{new_id()}", f"msg_{new_id()}"
    assert post(client, {"id": new_id(), "body": "hi"}, msg_id=old).status_code == 202
    with unit_of_work(store) as s:
        row = s.scalar(select(m.WebhookMessage).where(m.WebhookMessage.message_id == old))
        assert row is not None
        row.received_at = utcnow() - timedelta(hours=1)
    assert post(client, {"id": new_id(), "body": "hi"}, msg_id=new).status_code == 202
    with unit_of_work(store) as s:
        ids = set(s.scalars(select(m.WebhookMessage.message_id)))
    assert new in ids and old not in ids
