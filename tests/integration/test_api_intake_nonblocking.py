"""Intake never blocks the event loop, and the relay kick is a wake-up, not a relay pass.

The webhook's SQL runs in the thread pool: while one webhook waits for a locked store, the
same server keeps answering other requests. Checked by order of completion, with events, on a
real uvicorn server.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from connectors.signing import signed_headers
from router.api.app import create_app
from router.settings import QueueSettings
from router.worker import dispatch, runner
from tests.helpers_http import free_port

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# Generous: with the fix the test ends as soon as the fast request returns. Only an event
# loop that is blocked waits this long, and then the order of completion fails the test.
LOCK_HELD_AT_MOST = 20.0


@pytest.fixture
def server(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    port = free_port()
    config = uvicorn.Config(create_app(database_url=sqlite_url, embedded_worker=False),
                            host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if srv.started:
            break
        threading.Event().wait(0.05)
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_a_webhook_waiting_for_the_store_does_not_stall_other_requests(
        server: str, sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    fast_done, locked = threading.Event(), threading.Event()
    finished: list[str] = []

    def hold_write_lock() -> None:
        con = sqlite3.connect(path, timeout=30)
        con.execute("BEGIN IMMEDIATE")  # every other writer now waits
        locked.set()
        fast_done.wait(LOCK_HELD_AT_MOST)
        con.rollback()
        con.close()

    def send_webhook(out: list[httpx.Response]) -> None:
        body = json.dumps({"id": "slow-1", "body": "where is my order"}).encode()
        out.append(httpx.post(f"{server}/webhooks/generic", content=body, timeout=60,
                              headers=signed_headers(SECRET, "msg_slow", body)))
        finished.append("webhook")

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    assert locked.wait(10)
    webhook: list[httpx.Response] = []
    sender = threading.Thread(target=send_webhook, args=(webhook,))
    sender.start()
    threading.Event().wait(0.3)  # let the webhook reach the locked store first
    fast = httpx.get(f"{server}/openapi.json", timeout=60)
    finished.append("openapi")
    fast_done.set()
    sender.join(60)
    holder.join(60)
    assert fast.status_code == 200
    assert webhook and webhook[0].status_code == 202, webhook
    assert finished == ["openapi", "webhook"]


@pytest.mark.parametrize("kind", ["relay", "embedded"])
def test_wake_runs_the_next_pass_now_instead_of_after_the_poll(
        kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[int] = []

    def one_pass(*args: object, **kwargs: object) -> int:
        passes.append(1)
        return 0

    if kind == "relay":
        monkeypatch.setattr(dispatch, "relay_once", one_pass)
        worker: dispatch.Relay | runner.EmbeddedWorker = dispatch.Relay(
            None, every=3600, settings=QueueSettings())  # type: ignore[arg-type]
    else:
        monkeypatch.setattr(runner, "drain", one_pass)
        worker = runner.EmbeddedWorker(poll=3600)
    threads = 1 if kind == "relay" else 2  # the embedded worker runs one thread per lane
    worker.start()
    try:
        for _ in range(100):
            if len(passes) >= threads:
                break
            threading.Event().wait(0.05)
        threading.Event().wait(0.2)
        assert len(passes) == threads  # one pass each at start, then the hour-long poll
        worker.wake()  # what the webhook handler calls after its commit
        for _ in range(200):
            if len(passes) > threads:
                break
            threading.Event().wait(0.05)
        assert len(passes) > threads, "wake() did not start a pass before the hour-long poll"
    finally:
        worker.stop()
        worker.join(10)
    assert not worker.is_alive()
