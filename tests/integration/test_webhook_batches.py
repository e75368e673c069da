"""Webhooks stored together (router.api.webhooks.accept), on SQLite and PostgreSQL: each answer
is its own webhook's, in order; duplicates within a batch are duplicates; a reused webhook-id,
a bad signature or a malformed payload is refused alone, the rest of its batch stored. Then the
real app under concurrent senders, and (PostgreSQL) two transactions storing overlapping keys
in opposite orders, which must never deadlock."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from connectors.signing import signed_headers
from router.api import webhooks
from router.api.app import create_app
from router.api.schemas import WebhookAccepted
from router.domain import InboundTicket
from router.store import models as m
from router.store import repo
from router.store.db import session_factory, unit_of_work
from router.store.replay import Message, record_messages
from tests.contract.conftest import count
from tests.integration.pipeline_env import SECRET

WRONG_SECRET = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"


@pytest.fixture
def client(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    with TestClient(create_app(database_url=store_url, embedded_worker=False)) as c:
        yield c


def delivery(client: TestClient, payload: dict[str, Any] | bytes, msg_id: str | None = None,
             secret: str = SECRET) -> webhooks.Delivery:
    """A generic webhook as the API receives it, signed (``msg_id``: a fresh one)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = signed_headers(secret, msg_id or f"msg_{uuid.uuid4().hex}", body)
    state = client.app.state  # type: ignore[attr-defined]
    return webhooks.Delivery("generic", state.connectors.get("generic"), headers, body)


def accept(client: TestClient, deliveries: Sequence[webhooks.Delivery]) -> list[Any]:
    """What the batcher hands each webhook of one batch."""
    answers = webhooks.accept(client.app.state, list(deliveries))  # type: ignore[attr-defined]
    assert len(answers) == len(deliveries)
    return answers


def accepted(answer: Any) -> WebhookAccepted:
    assert isinstance(answer, webhooks.Accepted), answer
    assert isinstance(answer.response, WebhookAccepted), answer
    return answer.response


def refused(answer: Any, status: int) -> None:
    assert isinstance(answer, HTTPException) and answer.status_code == status, answer


def stored(url: str) -> dict[str, int]:
    """external_id -> ticket id, of every ticket in the store."""
    with unit_of_work(url) as s:
        return {ext: tid for tid, ext in s.execute(select(m.Ticket.id, m.Ticket.external_id))}


def decide_rows(url: str) -> list[int]:
    """The ticket ids of the outbox's ``decide`` rows, sorted (one per new ticket)."""
    with unit_of_work(url) as s:
        return sorted(s.scalars(select(m.OutboxRow.ticket_id).where(
            m.OutboxRow.task == "decide")))


def ticket(ext: str) -> dict[str, Any]:
    return {"id": ext, "body": f"where is order {ext}?"}


# --- accept(): one batch ------------------------------------------------------------------


def test_new_tickets_of_a_batch_are_all_stored_and_answered_in_order(
        client: TestClient, store_url: str) -> None:
    exts = ["t-5", "t-1", "t-4", "t-2", "t-3"]  # not in key order: the store sorts its rows
    batch = accept(client, [delivery(client, ticket(e)) for e in exts])
    assert [a.created for a in batch] == [True] * len(exts)
    answers = [accepted(a) for a in batch]
    rows = stored(store_url)
    assert sorted(rows) == sorted(exts)
    assert [a.ticket_id for a in answers] == [rows[e] for e in exts]
    assert not any(a.duplicate for a in answers)
    assert decide_rows(store_url) == sorted(rows.values())
    assert count(store_url, m.WebhookMessage) == len(exts)


def test_the_same_ticket_twice_in_a_batch_is_one_ticket(client: TestClient,
                                                         store_url: str) -> None:
    first, other, again = accept(client, [delivery(client, ticket("same")),
                                          delivery(client, ticket("other")),
                                          delivery(client, ticket("same"))])
    assert first.created and not first.response.duplicate
    assert not again.created and again.response.duplicate
    assert accepted(again).ticket_id == accepted(first).ticket_id
    assert accepted(other).ticket_id != accepted(first).ticket_id and other.created
    rows = stored(store_url)
    assert rows == {"same": accepted(first).ticket_id, "other": accepted(other).ticket_id}
    assert decide_rows(store_url) == sorted(rows.values())


def test_a_redelivery_in_the_same_batch_is_a_duplicate(client: TestClient,
                                                       store_url: str) -> None:
    once = delivery(client, ticket("redelivered"), msg_id="msg_redelivered")
    first, again = accept(client, [once, once])
    assert first.created and accepted(first).duplicate is False
    assert not again.created and accepted(again).duplicate is True
    assert accepted(again).ticket_id == accepted(first).ticket_id
    assert count(store_url, m.Ticket) == 1 and len(decide_rows(store_url)) == 1
    assert count(store_url, m.WebhookMessage) == 1


def test_a_webhook_id_reused_for_another_body_is_refused_alone(client: TestClient,
                                                               store_url: str) -> None:
    answers = accept(client, [delivery(client, ticket("kept-1"), msg_id="msg_reused"),
                              delivery(client, ticket("kept-2")),
                              delivery(client, ticket("forged"), msg_id="msg_reused"),
                              delivery(client, ticket("kept-3"))])
    refused(answers[2], 409)
    kept = [accepted(answers[i]) for i in (0, 1, 3)]
    rows = stored(store_url)
    assert sorted(rows) == ["kept-1", "kept-2", "kept-3"]  # nothing of "forged"
    assert [a.ticket_id for a in kept] == [rows["kept-1"], rows["kept-2"], rows["kept-3"]]
    assert decide_rows(store_url) == sorted(rows.values())


def test_a_bad_signature_and_a_malformed_payload_are_refused_alone(client: TestClient,
                                                                   store_url: str) -> None:
    answers = accept(client, [delivery(client, ticket("good-1")),
                              delivery(client, ticket("forged"), secret=WRONG_SECRET),
                              delivery(client, ticket("good-2")),
                              delivery(client, {"id": "no-body"}),
                              delivery(client, ticket("good-3"))])
    refused(answers[1], 401)
    refused(answers[3], 422)
    assert answers[3].detail["field"] == "body"
    good = [accepted(answers[i]) for i in (0, 2, 4)]
    rows = stored(store_url)
    assert sorted(rows) == ["good-1", "good-2", "good-3"]
    assert [a.ticket_id for a in good] == [rows["good-1"], rows["good-2"], rows["good-3"]]
    assert decide_rows(store_url) == sorted(rows.values())


# --- the real app, concurrent senders -------------------------------------------------------

SENDERS = 50


def send_all(client: TestClient, exts: Sequence[str]) -> list[Any]:
    def send(ext: str) -> Any:
        body = json.dumps(ticket(ext)).encode()
        return client.post("/webhooks/generic", content=body,
                           headers=signed_headers(SECRET, f"msg_{ext}", body))

    with ThreadPoolExecutor(len(exts)) as pool:
        return list(pool.map(send, exts))


def check_all_stored(responses: Sequence[Any], exts: Sequence[str], url: str) -> None:
    assert [r.status_code for r in responses] == [202] * len(exts), [r.text for r in responses]
    rows = stored(url)
    assert sorted(rows) == sorted(exts)
    assert [r.json()["ticket_id"] for r in responses] == [rows[e] for e in exts]
    assert decide_rows(url) == sorted(rows.values())


def test_concurrent_webhooks_are_stored_in_batches(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first batch is held until every other webhook waits: they are then one batch."""
    everyone_waits, sizes = threading.Event(), list[int]()
    real_accept = webhooks.accept

    def recording_accept(state: Any, deliveries: list[webhooks.Delivery]) -> list[Any]:
        sizes.append(len(deliveries))
        if len(sizes) == 1:
            assert everyone_waits.wait(8)  # under DESKROUTE_WEBHOOK_TIMEOUT_SECONDS (10)
        return real_accept(state, deliveries)

    monkeypatch.setattr(webhooks, "accept", recording_accept)  # the batcher's func
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    with TestClient(create_app(database_url=store_url, embedded_worker=False)) as client:
        batcher = client.app.state.webhook_batcher  # type: ignore[attr-defined]
        submit, submitted = batcher.submit, list[webhooks.Delivery]()

        async def counting_submit(item: webhooks.Delivery, seconds: float | None = None) -> Any:
            submitted.append(item)  # in the same step as the batcher queues it
            if len(submitted) == SENDERS:
                everyone_waits.set()
            return await submit(item, seconds)

        monkeypatch.setattr(batcher, "submit", counting_submit)
        exts = [f"burst-{i:02d}" for i in range(SENDERS)]
        responses = send_all(client, exts)
    check_all_stored(responses, exts, store_url)
    # all but the first batch's arrived while it was held: one more batch (max_items 64)
    assert sum(sizes) == SENDERS and len(sizes) <= 2, sizes


def test_concurrent_webhooks_are_all_stored_and_answered(client: TestClient,
                                                         store_url: str) -> None:
    """As they come (batches of whatever arrived meanwhile): every answer its own ticket's."""
    exts = [f"free-{i:02d}" for i in range(SENDERS)]
    check_all_stored(send_all(client, exts), exts, store_url)
    assert count(store_url, m.WebhookMessage) == SENDERS


# --- PostgreSQL: overlapping keys in opposite orders ----------------------------------------

ROUNDS, KEYS = 10, 40  # every round deadlocks without the sort: a few suffice


def store_tickets(session: Any, keys: Sequence[str]) -> None:
    repo.store_tickets(session, [InboundTicket(source="generic", external_id=k, body="hi")
                                 for k in keys])


def record_ids(session: Any, keys: Sequence[str]) -> None:
    record_messages(session, [Message("generic", k, "digest", None) for k in keys])


def wait_for_lock_waiters(session: Any, n: int) -> None:
    for _ in range(2000):
        session.execute(text("SELECT pg_stat_clear_snapshot()"))  # else one per transaction
        if session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'")) >= n:
            return
        time.sleep(0.005)
    raise AssertionError(f"{n} transactions never waited for a lock")


@pytest.mark.postgres
@pytest.mark.parametrize("store", [store_tickets, record_ids], ids=["tickets", "webhook-ids"])
def test_overlapping_batches_in_opposite_orders_never_deadlock(pg_url: str, store: Any) -> None:
    """Two transactions store the same keys, one in the reverse order of the other, while a
    third holds the two middle keys (uncommitted) until both wait, then rolls back. Taken in
    the order given, each would by then hold its half of the keys and need the other's: a
    deadlock, every round. Taken in key order, the second waits for the first: never."""
    sessions = session_factory(pg_url)

    def one(keys: Sequence[str]) -> None:
        with sessions() as session:
            store(session, keys)
            session.commit()

    for n in range(ROUNDS):
        keys = [f"r{n:02d}-k{i:02d}" for i in range(KEYS)]
        with ThreadPoolExecutor(2) as pool, sessions() as gate:
            store(gate, keys[KEYS // 2 - 1:KEYS // 2 + 1])
            runs = [pool.submit(one, keys), pool.submit(one, keys[::-1])]
            try:
                wait_for_lock_waiters(gate, 2)
            finally:
                gate.rollback()
            for run in runs:
                run.result(timeout=60)  # a deadlock: psycopg.errors.DeadlockDetected
    table = m.Ticket if store is store_tickets else m.WebhookMessage
    assert count(pg_url, table) == ROUNDS * KEYS
