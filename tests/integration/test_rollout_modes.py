"""Rollout modes through the real pipeline on PostgreSQL (classifier, knowledge base, verifier):

``shadow`` decides and drafts but nothing reaches the channel; ``assist`` offers the draft to
the agents (the generic callback's ``ticket.draft``, a Zendesk internal note) and never
replies; ``auto`` replies. Escalations stay escalations in assist and auto. The mode in force
is stored with the decision.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from router.api.app import create_app
from router.domain import TicketState
from router.pipeline.services import Services, reset_default_services
from router.worker.runner import drain
from tests.helpers_http import RecordingServer
from tests.integration.pipeline_env import configure, post, seed_kb
from tests.rollout_policy import policy_in_mode

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ROUTINE = "Do you accept PayPal?"


@pytest.fixture
def callback() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _reset_services() -> Iterator[None]:
    yield
    reset_default_services(None)


def _setup(monkeypatch: pytest.MonkeyPatch, url: str, callback: RecordingServer, tmp: Path,
           mode: str) -> None:
    # the filled approved answer, no SLM rephrasing: what is tested is what the mode does
    configure(monkeypatch, url, callback.url, tmp,
              DESKROUTE_POLICY=str(policy_in_mode(tmp, mode)),
              DESKROUTE_KB_TEMPLATE_REPHRASE="false")
    seed_kb(url)


def _run(url: str, *tickets: dict) -> list[dict]:
    with TestClient(create_app(database_url=url, embedded_worker=False)) as client:
        ids = [post(client, t) for t in tickets]
        drain(url=url)
        return [client.get(f"/tickets/{i}").json() for i in ids]


def test_shadow_drafts_and_stores_but_sends_nothing(
        pg_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(monkeypatch, pg_url, callback, tmp_path, "shadow")
    routine, risky = _run(pg_url, {"id": "sh-1", "body": ROUTINE},
                          {"id": "sh-2", "body": "I will sue you, my lawyer is ready."})
    assert routine["decision"]["mode"] == "shadow" and routine["decision"]["route"] == "slm"
    assert routine["state"] == "shadowed", routine
    assert routine["draft"]["accepted"] and "PayPal" in routine["draft"]["text"]
    assert risky["state"] == "shadowed" and "legal_threat" in risky["reason"]
    assert risky["decision"]["route"] == "human"
    assert callback.requests == []  # not a reply, not a note, not an escalation
    assert routine["deliveries"] == [] and risky["deliveries"] == []


def test_assist_offers_the_draft_as_ticket_draft_and_never_replies(
        pg_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(monkeypatch, pg_url, callback, tmp_path, "assist")
    routine, risky = _run(pg_url, {"id": "as-1", "body": ROUTINE},
                          {"id": "as-2", "body": "I will sue you, my lawyer is ready."})
    assert routine["decision"]["mode"] == "assist" and routine["state"] == "assisted", routine
    events = {b["ticket_id"]: b for b in callback.json_bodies()}
    offered = events[routine["id"]]
    assert offered["type"] == "ticket.draft"
    assert offered["text"] == routine["draft"]["text"]  # the draft itself, ready to send
    draft = offered["draft"]
    assert draft["intent"] == routine["decision"]["intent"] == "payment_methods"
    assert draft["route"] == "slm" and draft["confidence"] > 0
    assert draft["approved_answers"] and "PayPal" in draft["approved_answers"][0]["answer"]
    assert [a["id"] for a in draft["approved_answers"]] == routine["draft"]["kb_entry_ids"]
    assert "not sent to the customer" in offered["note"]
    assert "payment_methods" in offered["note"] and "Approved answer used: #" in offered["note"]
    assert events[risky["id"]]["type"] == "ticket.escalated"  # an escalation stays one
    assert risky["state"] == "escalated"
    assert not [b for b in callback.json_bodies() if b["type"] == "ticket.reply"]


def test_auto_replies_to_the_customer(
        pg_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(monkeypatch, pg_url, callback, tmp_path, "auto")
    (view,) = _run(pg_url, {"id": "au-1", "body": ROUTINE})
    assert view["decision"]["mode"] == "auto" and view["state"] == "delivered"
    (body,) = callback.json_bodies()
    assert body["type"] == "ticket.reply" and body["text"] == view["draft"]["text"]


def test_a_channel_in_shadow_caps_an_intent_promoted_to_auto(
        pg_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    policy = policy_in_mode(tmp_path, "assist", extra="  intents: {payment_methods: auto}\n"
                            "  channels: {chat: shadow}\n")
    text = policy.read_text().replace("  intents: {}", "").replace("  channels: {}", "")
    policy.write_text(text)
    configure(monkeypatch, pg_url, callback.url, tmp_path, DESKROUTE_POLICY=str(policy),
              DESKROUTE_KB_TEMPLATE_REPHRASE="false")
    seed_kb(pg_url)
    web, chat = _run(pg_url, {"id": "ch-1", "body": ROUTINE},
                     {"id": "ch-2", "body": ROUTINE, "channel": "chat"})
    assert web["decision"]["mode"] == "auto" and web["state"] == "delivered"
    assert chat["decision"]["mode"] == "shadow" and chat["state"] == "shadowed"
    assert [b["ticket_id"] for b in callback.json_bodies()] == [web["id"]]
    assert web["decision"]["policy"]["hash"] == chat["decision"]["policy"]["hash"]


def test_assist_posts_an_internal_note_on_zendesk_and_no_public_reply(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.registry import Registry
    from tests.contract.fakes.zendesk import AGENT_ID
    from tests.contract.vendors import ZendeskKit

    monkeypatch.setenv("DESKROUTE_KB_TEMPLATE_REPHRASE", "false")
    monkeypatch.setenv("DESKROUTE_POLICY", str(policy_in_mode(tmp_path, "assist")))
    monkeypatch.setenv("DESKROUTE_KB_DIR", str(tmp_path / "kb"))
    for k in ("DESKROUTE_LLM_MODEL", "DESKROUTE_LLM_API_BASE", "DESKROUTE_BROKER_URL"):
        monkeypatch.delenv(k, raising=False)
    seed_kb(pg_url)
    with ZendeskKit() as kit:
        app = create_app(database_url=pg_url, embedded_worker=False)
        app.state.connectors = Registry({kit.name: kit.settings()})
        conv = kit.open(ROUTINE)
        with TestClient(app) as client:
            body, headers = kit.opened_webhook(conv)
            tid = client.post("/webhooks/zendesk", content=body, headers=headers).json()[
                "ticket_id"]
            drain(services=Services(database_url=pg_url,
                                    connectors=Registry({kit.name: kit.settings()})), url=pg_url)
            view = client.get(f"/tickets/{tid}").json()
        assert view["state"] == "assisted", view
        assert kit.replies(conv) == []
        (note,) = kit.notes(conv)
        assert note.startswith("Suggested reply by deskroute")
        assert view["draft"]["text"] in note and "payment_methods" in note

        # the agent sends the draft with a greeting and a sign-off: that is the draft as-is
        sent = f"Hi Ann,\n\n{view['draft']['text']}\n\nBest regards,\nAgnes"
        cid = kit.fake.add_comment(int(conv), AGENT_ID, sent)
        body, headers = kit.fake.signed(kit.fake.event("comment_added", int(conv), cid))
        with TestClient(app) as client:
            r = client.post("/webhooks/zendesk", content=body, headers=headers)
            assert r.status_code == 202 and r.json()["kind"] == "agent_reply", r.text
            assert r.json()["ticket_id"] == tid
            again = client.post("/webhooks/zendesk", content=body, headers=headers)
            assert again.json()["duplicate"] is True
        drain(services=Services(database_url=pg_url,
                                connectors=Registry({kit.name: kit.settings()})), url=pg_url)
    (fb,) = _feedback(pg_url)
    assert (fb.ticket_id, fb.kind, fb.intent, fb.route, fb.mode, fb.purpose) == (
        tid, "sent_as_is", "payment_methods", "slm", "assist", "answer")
    assert fb.draft_id == view["draft"]["id"] and fb.model == view["draft"]["model"]
    assert fb.edit_distance is not None and fb.edit_distance <= 0.03


def test_generic_outcome_with_the_sent_text_is_judged_against_the_shadow_draft(
        pg_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(monkeypatch, pg_url, callback, tmp_path, "shadow")
    paypal, other = _run(pg_url, {"id": "fb-1", "body": ROUTINE},
                         {"id": "fb-2", "body": "How long does standard shipping take?"})
    assert paypal["state"] == other["state"] == "shadowed"
    with TestClient(create_app(database_url=pg_url, embedded_worker=False)) as client:
        missing = client.post(f"/tickets/{paypal['id']}/outcomes", json={"kind": "agent_reply"})
        assert missing.status_code == 422 and "text" in missing.text
        edited = paypal["draft"]["text"].replace("PayPal", "PayPal and Apple Pay", 1)
        r = client.post(f"/tickets/{paypal['id']}/outcomes",
                        json={"kind": "agent_reply", "text": edited, "event_id": "a-1"})
        assert r.status_code == 201, r.text
        r = client.post(f"/tickets/{other['id']}/outcomes", json={
            "kind": "agent_reply", "event_id": "a-2",
            "text": "Our office dog is called Biscuit and loves long walks in the park."})
        assert r.status_code == 201, r.text
    drain(url=pg_url)
    kinds = {fb.ticket_id: fb.kind for fb in _feedback(pg_url)}
    assert kinds == {paypal["id"]: "edited", other["id"]: "ignored"}
    assert callback.requests == []  # judging sends nothing either


def _feedback(url: str) -> list:
    from sqlalchemy import select

    from router.store import models as m
    from router.store.db import unit_of_work

    with unit_of_work(url) as s:
        rows = list(s.scalars(select(m.DraftFeedback).order_by(m.DraftFeedback.id)))
        s.expunge_all()
        return rows


def test_a_promotion_applies_to_the_next_decision_without_a_restart(
        pg_url: str, callback: RecordingServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from router.cli.main import app as cli

    _setup(monkeypatch, pg_url, callback, tmp_path, "assist")
    policy = tmp_path / "policy-assist.yaml"
    (before,) = _run(pg_url, {"id": "pr-1", "body": ROUTINE})
    assert before["state"] == "assisted" and before["decision"]["mode"] == "assist"
    done = CliRunner().invoke(cli, ["policy", "promote", "payment_methods", "--to", "auto",
                                    "--policy", str(policy), "--json"])
    assert done.exit_code == 0, done.output
    (after,) = _run(pg_url, {"id": "pr-2", "body": ROUTINE})  # same worker services
    assert after["decision"]["mode"] == "auto" and after["state"] == "delivered"
    assert before["decision"]["policy"]["hash"] != after["decision"]["policy"]["hash"]
    assert after["decision"]["policy"]["hash"] == json.loads(done.stdout)["new_hash"]
    assert [b["type"] for b in callback.json_bodies()] == ["ticket.draft", "ticket.reply"]


def _compare_policy(tmp: Path, rate: str, budget: str = "1.0") -> Path:
    path = policy_in_mode(tmp, "assist")
    text = path.read_text().replace("    rate: 0.0 ", f"    rate: {rate} ", 1)
    path.write_text(text.replace("    budget_usd_per_day: 1.0",
                                 f"    budget_usd_per_day: {budget}"))
    return path


def test_shadow_comparison_drafts_with_the_hosted_llm_too_and_judges_both(
        pg_url: str, callback: RecordingServer, tmp_path: Path, llama_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from router.rollout.evidence import promotion_report
    from router.store.db import unit_of_work

    policy = _compare_policy(tmp_path, "1.0")
    configure(monkeypatch, pg_url, callback.url, tmp_path, DESKROUTE_POLICY=str(policy),
              DESKROUTE_KB_TEMPLATE_REPHRASE="false", DESKROUTE_LLM_MODEL="openai/smol",
              DESKROUTE_LLM_API_BASE=llama_server, DESKROUTE_LLM_SEED="7")
    seed_kb(pg_url)
    (view,) = _run(pg_url, {"id": "cmp-1", "body": ROUTINE})
    assert view["state"] == "assisted" and view["decision"]["route"] == "slm"
    local, hosted = view["drafts"][0], view["drafts"][-1]
    assert len(view["drafts"]) == 2 and hosted["backend"] == "llm", view["drafts"]
    assert (local["purpose"], hosted["purpose"]) == ("answer", "compare")
    assert hosted["accepted"] is None and hosted["completion_tokens"] > 0  # never deliverable
    assert view["draft"]["id"] == local["id"]
    (offered,) = callback.json_bodies()
    assert offered["type"] == "ticket.draft" and offered["text"] == local["text"]
    with TestClient(create_app(database_url=pg_url, embedded_worker=False)) as client:
        r = client.post(f"/tickets/{view['id']}/outcomes",
                        json={"kind": "agent_reply", "text": local["text"]})
        assert r.status_code == 201, r.text
    drain(url=pg_url)
    judged = {(fb.purpose, fb.backend) for fb in _feedback(pg_url)}
    assert judged == {("answer", local["backend"]), ("compare", "llm")}
    from policies import parse_policy

    with unit_of_work(pg_url) as s:
        (row,) = promotion_report(s, parse_policy(policy.read_text()))["intents"]
    assert row["shadow_compare"]["tickets"] == 1 and row["shadow_compare"]["local_share"] == 1.0
    assert row["drafts_seen"] == 1 and row["sent_as_is"] == 1


def test_no_comparison_when_off_or_the_days_budget_is_spent(
        pg_url: str, callback: RecordingServer, tmp_path: Path, llama_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from router.domain import Draft, InboundTicket, Verdict
    from router.store import repo
    from router.store.db import unit_of_work

    with unit_of_work(pg_url) as s:  # $0.02 of comparison drafts already today
        t, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id="spent",
                                                   body="earlier"))
        repo.add_draft(s, t.id, Draft(backend="llm", model="openai/smol", text="x",
                                      cost_usd=0.02), Verdict(score=1.0), purpose="compare")
        repo.set_state(s, t, TicketState.ASSISTED)
    for rate, budget, ext in (("0.0", "1.0", "off"), ("1.0", "0.01", "budget")):
        configure(monkeypatch, pg_url, callback.url, tmp_path,
                  DESKROUTE_POLICY=str(_compare_policy(tmp_path, rate, budget)),
                  DESKROUTE_KB_TEMPLATE_REPHRASE="false", DESKROUTE_LLM_MODEL="openai/smol",
                  DESKROUTE_LLM_API_BASE=llama_server)
        seed_kb(pg_url)
        (view,) = _run(pg_url, {"id": f"nc-{ext}", "body": ROUTINE})
        assert view["state"] == "assisted" and len(view["drafts"]) == 1, (ext, view["drafts"])
    configure(monkeypatch, pg_url, callback.url, tmp_path,  # the same, with budget left
              DESKROUTE_POLICY=str(_compare_policy(tmp_path, "1.0", "0.05")),
              DESKROUTE_KB_TEMPLATE_REPHRASE="false", DESKROUTE_LLM_MODEL="openai/smol",
              DESKROUTE_LLM_API_BASE=llama_server)
    (view,) = _run(pg_url, {"id": "nc-left", "body": ROUTINE})
    assert [d["purpose"] for d in view["drafts"]] == ["answer", "compare"]
