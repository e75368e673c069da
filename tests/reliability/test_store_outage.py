"""The store down or hung (issue 14): webhooks answer 503 with Retry-After and never a 2xx
without a stored row, never hang past a short deadline, and recover on their own; /healthz
(liveness) stays up while /readyz says not ready."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from connectors.signing import signed_headers
from router.api.app import create_app
from router.settings import StoreSettings
from router.store import models as m
from router.store.db import get_engine, make_engine, unit_of_work
from tests.faults import TcpProxy, pg_down
from tests.helpers_http import running_app

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _post(base: str, ticket_id: str, timeout: float = 30) -> httpx.Response:
    body = json.dumps({"id": ticket_id, "body": "where is my parcel?"}).encode()
    return httpx.post(f"{base}/webhooks/generic", content=body, timeout=timeout,
                      headers=signed_headers(SECRET, f"msg_{ticket_id}", body))


def _stored(url: str, external_id: str) -> int:
    with unit_of_work(url) as s:
        return int(s.scalar(select(func.count()).select_from(m.Ticket)
                            .where(m.Ticket.external_id == external_id)) or 0)


@pytest.fixture
def proxy(pg_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(pg_url)
    p = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    yield p
    p.close()


def test_database_refusing_connections_gets_503_retry_after_then_recovers(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    with running_app(create_app(database_url=pg_url, embedded_worker=False)) as base:
        assert _post(base, "before").status_code == 202
        assert httpx.get(f"{base}/readyz", timeout=30).json()["status"] == "ready"
        get_engine(pg_url).dispose()
        with pg_down(pg_url):
            down = _post(base, "during")
            assert down.status_code == 503, down.text
            assert int(down.headers["Retry-After"]) > 0
            assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
            ready = httpx.get(f"{base}/readyz", timeout=30)
            assert ready.status_code == 503 and "Retry-After" in ready.headers
            assert ready.json()["checks"]["database"].startswith("error")
        retried = _post(base, "during")  # the sender's retry
        assert retried.status_code == 202, retried.text
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
    assert _stored(pg_url, "during") == 1


def test_a_hung_database_gets_503_within_the_deadline_and_no_lost_or_double_ticket(
        pg_url: str, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("DESKROUTE_WEBHOOK_TIMEOUT_SECONDS", "2")
    url = proxy.url_for(pg_url)
    with running_app(create_app(database_url=url, embedded_worker=False)) as base:
        assert _post(base, "before").status_code == 202  # a pooled connection through the proxy
        proxy.freeze()
        try:
            hung = _post(base, "frozen", timeout=20)  # the old handler waited forever
            assert hung.status_code == 503, hung.text
            assert int(hung.headers["Retry-After"]) > 0
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            assert httpx.get(f"{base}/readyz", timeout=20).status_code == 503
        finally:
            proxy.thaw()
        retried = _post(base, "frozen")
        assert retried.status_code == 202, retried.text
    # the abandoned attempt may have committed after the thaw: still one row
    assert _stored(pg_url, "frozen") == 1


def _in_thread(fn: object, seconds: float) -> list[BaseException | str]:
    out: list[BaseException | str] = []

    def run() -> None:
        try:
            fn()  # type: ignore[operator]
            out.append("returned")
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    return out


def test_connect_and_statement_timeouts_end_a_hung_call(pg_url: str, proxy: TcpProxy) -> None:
    proxy.freeze()  # the server accepts the TCP connection and never answers
    engine = make_engine(proxy.url_for(pg_url), StoreSettings(db_connect_timeout=1))
    try:
        out = _in_thread(lambda: engine.connect().close(), seconds=20)
        assert out and isinstance(out[0], OperationalError), out
    finally:
        proxy.thaw()
        engine.dispose()
    slow = make_engine(pg_url, StoreSettings(db_statement_timeout=0.5))
    try:
        with slow.connect() as conn, pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        slow.dispose()
