"""A hosted LLM that accepts connections and never answers (issue 14: tickets waited 134-255 s
for a human). With the per-ticket budget the first tickets reach a human within it; after
DESKROUTE_BREAKER_FAILURES timeouts the breaker opens and the next tickets go at once, without
a call; /healthz shows the open breaker."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from router.api.app import create_app
from router.breakers import reset_breakers
from router.domain import Decision, InboundTicket, Route, TicketState
from router.pipeline.services import Services
from router.store import outbox, repo
from router.store.db import unit_of_work
from router.worker.runner import drain
from tests.helpers_http import RecordingServer
from tests.rollout_policy import use_mode

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BUDGET = 3.0


class HangingServer:
    """Accepts TCP connections, reads, never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.connections:
            c.close()


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    server = HangingServer()
    reset_breakers()
    yield server
    server.close()
    reset_breakers()


def _decided_for_llm(url: str, first: int, last: int) -> list[int]:
    ids = []
    with unit_of_work(url) as s:
        for i in range(first, last):
            t, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id=f"h-{i}",
                                                       body="Can you explain my invoice?"))
            repo.add_decision(s, t.id, Decision(Route.LLM, "billing", 0.4, ("uncertain",),
                                                "default", "h", "c"), 1.0)
            repo.set_state(s, t, TicketState.DECIDED)
            for row in outbox.due_outbox(s, tasks={"decide"}):
                outbox.finish(s, row.id)
            outbox.add_outbox(s, "llm", t.id)
            ids.append(t.id)
    return ids


def _run(url: str, services: Services, ids: list[int]) -> list[int]:
    done = threading.Event()

    def work() -> None:
        drain(services=services, url=url)
        done.set()

    threading.Thread(target=work, daemon=True).start()
    # the old code waited out 2 x 60 s per ticket; a generous bound, not a timing test
    assert done.wait(60), "tickets still waiting on the hanging LLM"
    return ids


def test_a_hanging_llm_sends_tickets_to_a_human_within_the_budget(
        sqlite_url: str, hanging: HangingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    use_mode(monkeypatch, tmp_path, "auto")
    for k, v in {"DESKROUTE_DATABASE_URL": sqlite_url, "DESKROUTE_WEBHOOK_SECRET": SECRET,
                 "DESKROUTE_LLM_MODEL": "openai/smol",
                 "DESKROUTE_LLM_API_BASE": f"http://127.0.0.1:{hanging.port}/v1",
                 "DESKROUTE_LLM_TIMEOUT": "60", "DESKROUTE_LLM_RETRIES": "1",
                 "DESKROUTE_TICKET_BUDGET_SECONDS": str(BUDGET),
                 "DESKROUTE_BREAKER_FAILURES": "2", "DESKROUTE_BREAKER_COOLDOWN_SECONDS": "600",
                 "DESKROUTE_KB_DIR": str(tmp_path / "kb")}.items():
        monkeypatch.setenv(k, v)
    with RecordingServer() as callback:
        monkeypatch.setenv("DESKROUTE_CALLBACK_URL", callback.url)
        services = Services(database_url=sqlite_url)
        services.kb.retrieve("warm up the retrieval encoder", None)  # loading is not budget
        ids = _run(sqlite_url, services, _decided_for_llm(sqlite_url, 0, 2))
        calls = len(hanging.connections)  # the two tickets' calls (and litellm's retries)
        ids += _run(sqlite_url, services, _decided_for_llm(sqlite_url, 2, 4))
        with TestClient(create_app(database_url=sqlite_url, embedded_worker=False)) as client:
            health = client.get("/healthz").json()
            metrics = client.get("/metrics").text
        sent = len(callback.requests)
    assert calls > 0 and len(hanging.connections) == calls  # the open breaker made no call
    assert 'deskroute_breaker_open{backend="llm"} 1.0' in metrics
    assert health["breakers"]["llm"]["state"] == "open"
    with unit_of_work(sqlite_url) as s:
        reasons = [(repo.get_ticket(s, i).state, repo.get_ticket(s, i).reason or "")  # type: ignore[union-attr]
                   for i in ids]
    assert all(state == "escalated" for state, _ in reasons), reasons
    assert all("Timeout" in r or "timed out" in r.lower() for _, r in reasons[:2]), reasons
    assert all("circuit open" in r for _, r in reasons[2:]), reasons
    with unit_of_work(sqlite_url) as s:  # model time each spent: within the budget
        spent = [repo.get_ticket(s, i).meta["model_seconds"] for i in ids]  # type: ignore[union-attr]
    assert all(x <= BUDGET + 3 for x in spent[:2]) and all(x < 1 for x in spent[2:]), spent
    assert sent == 4
