"""End to end on the embedded default: SQLite, in-process worker, real models, real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.signing import verify
from router.api.app import create_app
from router.pipeline.services import reset_default_services
from router.worker.runner import drain
from tests.helpers_http import CapturingProxy, RecordingServer, free_port
from tests.integration.pipeline_env import SECRET, configure, post, seed_kb

pytestmark = pytest.mark.integration


@pytest.fixture
def callback() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _reset_services() -> Iterator[None]:
    yield
    reset_default_services(None)


def _run(url: str, ticket: dict) -> dict:
    with TestClient(create_app(database_url=url, embedded_worker=False)) as client:
        tid = post(client, ticket)
        drain(url=url)
        view = client.get(f"/tickets/{tid}").json()
    return view


def test_routine_ticket_is_answered_locally_and_delivered_signed(
        sqlite_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, sqlite_url, callback.url, tmp_path)
    seed_kb(sqlite_url)
    view = _run(sqlite_url, {"id": "e2e-1", "body": "Do you accept PayPal?"})
    assert view["decision"]["route"] == "slm", view["decision"]
    assert view["decision"]["intent"] == "payment_methods"
    assert view["state"] == "delivered", view
    assert view["draft"]["backend"] in {"slm", "template"} and view["draft"]["accepted"]
    assert len(callback.requests) == 1
    sent = callback.requests[0]
    assert verify(SECRET, sent["headers"], sent["body"])  # signed like inbound webhooks
    body = callback.json_bodies()[0]
    assert body["type"] == "ticket.reply" and body["text"] == view["draft"]["text"]


def test_uncertain_ticket_is_answered_by_the_hosted_llm_over_http(
        sqlite_url: str, callback: RecordingServer, tmp_path: Path, llama_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "all-to-llm.yaml"
    policy.write_text("name: all-to-llm\nmin_confidence: 1.0\nno_llm_route: human\n"
                      "rollout:\n  mode: auto\n")
    with CapturingProxy(llama_server.removesuffix("/v1")) as proxy:
        configure(monkeypatch, sqlite_url, callback.url, tmp_path,
                  DESKROUTE_POLICY=str(policy), DESKROUTE_LLM_MODEL="openai/smol",
                  DESKROUTE_LLM_API_BASE=proxy.url + "/v1", DESKROUTE_LLM_SEED="7")
        seed_kb(sqlite_url)
        view = _run(sqlite_url, {"id": "e2e-llm", "body": "Do you accept PayPal?"})
    assert view["decision"]["route"] == "llm"
    assert view["decision"]["policy"]["name"] == "all-to-llm"
    assert any(b"/chat/completions" in b or b"messages" in b for b in proxy.bodies)
    draft = view["draft"]
    assert draft is not None, view["reason"]
    assert draft["backend"] == "llm" and draft["model"] == "openai/smol"
    assert draft["completion_tokens"] > 0 and draft["latency_ms"] > 0
    assert view["state"] == "delivered", (view["reason"], draft)
    assert callback.json_bodies()[0]["text"] == draft["text"]


def test_unreachable_llm_escalates_to_a_human_with_the_reason_stored(
        sqlite_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "all-to-llm.yaml"
    policy.write_text("name: all-to-llm\nmin_confidence: 1.0\nrollout:\n  mode: auto\n")
    configure(monkeypatch, sqlite_url, callback.url, tmp_path,
              DESKROUTE_POLICY=str(policy), DESKROUTE_LLM_MODEL="openai/smol",
              DESKROUTE_LLM_API_BASE=f"http://127.0.0.1:{free_port()}/v1",
              DESKROUTE_LLM_TIMEOUT="5", DESKROUTE_LLM_RETRIES="0")
    view = _run(sqlite_url, {"id": "e2e-down", "body": "How long does shipping take?"})
    assert view["state"] == "escalated"
    assert "hosted LLM call failed" in view["reason"]
    body = callback.json_bodies()[0]
    assert body["type"] == "ticket.escalated" and "hosted LLM call failed" in body["reason"]
    assert "How long does shipping take?" in view["body"]  # nothing lost


def test_risky_ticket_goes_to_a_human_without_any_model_call(
        sqlite_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, sqlite_url, callback.url, tmp_path)
    view = _run(sqlite_url, {"id": "e2e-h", "body": "I will sue you, my lawyer is ready."})
    assert view["decision"]["route"] == "human"
    assert view["state"] == "escalated" and view["draft"] is None
    assert "legal_threat" in view["reason"]


def test_rerunning_finished_steps_changes_nothing(
        sqlite_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from router.worker.runner import execute

    configure(monkeypatch, sqlite_url, callback.url, tmp_path)
    view = _run(sqlite_url, {"id": "e2e-idem", "body": "I want to talk to a human agent."})
    for task in ("decide", "slm", "llm", "deliver"):
        assert execute(task, view["id"], url=sqlite_url) is None
    with TestClient(create_app(database_url=sqlite_url, embedded_worker=False)) as client:
        again = client.get(f"/tickets/{view['id']}").json()
    assert again["state"] == view["state"] and len(callback.requests) == 1


def test_follow_up_on_escalated_thread_stays_escalated(
        sqlite_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, sqlite_url, callback.url, tmp_path)
    first = _run(sqlite_url, {"id": "t-1", "thread_id": "conv-1",
                              "body": "Get me a human agent please."})
    assert first["state"] == "escalated"
    second = _run(sqlite_url, {"id": "t-2", "thread_id": "conv-1",
                               "body": "How do I reset my password?"})
    assert second["decision"]["route"] == "human"
    assert any("follow-up" in r for r in second["decision"]["reasons"])


def test_follow_up_saying_a_local_answer_did_not_help_escalates_and_reopens_it(
        sqlite_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, sqlite_url, callback.url, tmp_path)
    seed_kb(sqlite_url)
    first = _run(sqlite_url, {"id": "h-1", "thread_id": "conv-2",
                              "body": "Do you accept PayPal?"})
    assert first["state"] == "delivered" and first["outcomes"] == []
    second = _run(sqlite_url, {"id": "h-2", "thread_id": "conv-2",
                               "body": "That didn't help, PayPal is still not offered."})
    assert second["decision"]["route"] != "slm", second["decision"]
    with TestClient(create_app(database_url=sqlite_url, embedded_worker=False)) as client:
        reopened = client.get(f"/tickets/{first['id']}").json()["outcomes"]
    assert [o["kind"] for o in reopened] == ["not_helpful"]
    assert f"follow-up ticket {second['id']}" in reopened[0]["note"]
