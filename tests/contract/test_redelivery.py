"""Helpdesks redeliver webhooks (timeouts, retries, at-least-once queues). The same event
delivered 4 times — one after another and all at once, against a real uvicorn server on
SQLite and on PostgreSQL — is one ticket, and after the pipeline ran, one delivery (here an
escalation note, which needs no model generation; test_end_to_end posts each opening webhook
twice and checks the public answer is sent once)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from connectors.registry import Registry
from router.api.app import create_app
from router.pipeline.services import Services
from router.store import models as m
from router.worker.runner import drain
from tests.contract.conftest import count
from tests.contract.vendors import KITS, Kit
from tests.helpers_http import free_port


@pytest.fixture(params=sorted(KITS))
def kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    with KITS[request.param]() as k:
        yield k


class LiveAPI:
    """The real app under uvicorn on loopback, in a thread (no in-process worker)."""

    def __init__(self, url: str, kit: Kit) -> None:
        app = create_app(database_url=url, embedded_worker=False)
        app.state.connectors = Registry({kit.name: kit.settings()})
        port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                    log_level="warning", lifespan="on"))
        self.base = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveAPI:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(10)


def _post_all(url: str, body: bytes, headers: dict[str, str], *, concurrent: bool) -> list[dict]:
    if not concurrent:
        return [httpx.post(url, content=body, headers=headers, timeout=30).json()
                for _ in range(4)]
    start = threading.Barrier(4)

    def one(_: int) -> dict:
        start.wait()
        return httpx.post(url, content=body, headers=headers, timeout=30).json()

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(4)))


def _store_is_deduped(kit: Kit, url: str) -> None:
    with LiveAPI(url, kit) as api:
        endpoint = f"{api.base}/webhooks/{kit.name}"
        conv = kit.open("Do you accept PayPal?")
        body, headers = kit.opened_webhook(conv)
        seq = _post_all(endpoint, body, headers, concurrent=False)
        conv2 = kit.open("Can I pay with PayPal?")
        body2, headers2 = kit.opened_webhook(conv2)
        par = _post_all(endpoint, body2, headers2, concurrent=True)
        body3, headers3 = kit.customer_writes(conv2, "And with a credit card?")
        follow = _post_all(endpoint, body3, headers3, concurrent=True)
    for answers in (seq, par, follow):
        assert len({a["ticket_id"] for a in answers}) == 1, answers
        assert sorted(a["duplicate"] for a in answers) == [False, True, True, True], answers
    assert follow[0]["kind"] == "follow_up" and follow[0]["thread_id"] == conv2
    assert count(url, m.Ticket) == 3 and count(url, m.OutboxRow) == 3


def test_four_deliveries_are_one_ticket_on_sqlite(kit: Kit, sqlite_url: str) -> None:
    _store_is_deduped(kit, sqlite_url)


@pytest.mark.postgres
def test_four_deliveries_are_one_ticket_on_postgres(kit: Kit, pg_url: str) -> None:
    _store_is_deduped(kit, pg_url)


@pytest.mark.integration
@pytest.mark.postgres
def test_four_concurrent_deliveries_get_one_delivery(
        kit: Kit, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("DESKROUTE_LLM_MODEL", "DESKROUTE_LLM_API_BASE", "DESKROUTE_BROKER_URL"):
        monkeypatch.delenv(k, raising=False)
    conv = kit.open("I want to talk to a human agent right now.")
    body, headers = kit.opened_webhook(conv)
    with LiveAPI(pg_url, kit) as api:
        answers = _post_all(f"{api.base}/webhooks/{kit.name}", body, headers, concurrent=True)
    assert len({a["ticket_id"] for a in answers}) == 1
    services = Services(database_url=pg_url, connectors=Registry({kit.name: kit.settings()}))
    drain(services=services, url=pg_url)
    with LiveAPI(pg_url, kit) as api:  # a late redelivery after the answer went out
        again = httpx.post(f"{api.base}/webhooks/{kit.name}", content=body, headers=headers)
    assert again.json()["duplicate"] is True
    drain(services=services, url=pg_url)
    assert len(kit.notes(conv)) == 1 and kit.replies(conv) == [], kit.notes(conv)
