"""Settings are read once at the edge and handed down (issue 10 item 4): ``create_app``'s
store is the one its embedded worker works on, and nothing rewrites the environment."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from router.api.app import create_app
from router.classify.trained import DEFAULT_CLASSIFIER_DIR, TrainedClassifier
from router.cli.main import app as cli
from router.domain import (
    Decision,
    Draft,
    InboundTicket,
    Mode,
    Route,
    TicketState,
    Verdict,
)
from router.guard.settings import PIISettings
from router.kb.importers import EntryData, import_entries
from router.kb.retrieve import clear_cache
from router.kb.settings import KBSettings
from router.outcomes import record_agent_reply
from router.pipeline.routing import route_text
from router.pipeline.services import Services
from router.pricing import PriceSettings
from router.rollout.settings import FeedbackSettings
from router.settings import (
    LLMSettings,
    MetricsSettings,
    ModelSettings,
    Settings,
    bundled_encoder_path,
)
from router.signals.settings import SignalSettings
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work
from router.worker.runner import execute
from tests.helpers_http import RecordingServer
from tests.integration.pipeline_env import SECRET, post, seed_kb
from tests.llm_standin import ChatStandIn
from tests.rollout_policy import use_mode

pytestmark = pytest.mark.integration


def test_the_embedded_worker_uses_the_store_create_app_was_given(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "not-this-one" / "env.db"  # the environment names another store
    monkeypatch.setenv("DESKROUTE_DATABASE_URL", f"sqlite:///{elsewhere}")
    monkeypatch.setenv("DESKROUTE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("DESKROUTE_KB_DIR", str(tmp_path / "kb"))
    use_mode(monkeypatch, tmp_path, "auto")
    seed_kb(sqlite_url)  # the approved answers are in the store handed in, only
    with RecordingServer() as callback:
        monkeypatch.setenv("DESKROUTE_CALLBACK_URL", callback.url)
        with TestClient(create_app(database_url=sqlite_url)) as client:
            tid = post(client, {"id": "s-1", "body": "Do you accept PayPal?"})
            deadline = time.monotonic() + 120
            state = "received"
            while time.monotonic() < deadline:
                with unit_of_work(sqlite_url) as s:
                    ticket = repo.get_ticket(s, tid)
                    assert ticket is not None
                    state, reason = ticket.state, ticket.reason
                if state in ("delivered", "escalated", "failed"):
                    break
                time.sleep(0.2)
    assert state == "delivered", reason  # answered from this store's knowledge base
    assert not elsewhere.exists()


def test_settings_load_reads_once_and_takes_overrides(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_TASK_MAX_RUNS", "7")
    s = Settings.load(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert s.store.database_url.endswith("x.db") and s.queue.task_max_runs == 7
    with pytest.raises(TypeError, match="unknown settings areas: nope"):
        Settings.load(nope=s.queue)


def test_the_demo_leaves_the_environment_alone(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("DESKROUTE_WEBHOOK_SECRET", "DESKROUTE_DATABASE_URL", "DESKROUTE_POLICY",
              "DESKROUTE_LLM_MODEL", "DESKROUTE_BROKER_URL"):
        monkeypatch.delenv(k, raising=False)
    before = dict(os.environ)
    out = CliRunner().invoke(cli, ["demo", "--limit", "2", "--json", "--database-url",
                                   f"sqlite:///{tmp_path / 'demo.db'}"])
    assert out.exit_code == 0, out.output
    assert dict(os.environ) == before  # the demo used to set the secret and the store URL


# --- each area handed down: a value given to Settings wins over the environment -------------

def _standin_llm(standin: ChatStandIn) -> LLMSettings:
    return LLMSettings(llm_model="openai/standin", llm_api_base=standin.api_base,
                       llm_api_key="sk-standin", llm_retries=0, llm_timeout=10)


def test_a_price_given_to_settings_is_the_cost_of_a_hosted_call(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_LLM_PRICE_INPUT_PER_MTOK", "1000")  # not these
    monkeypatch.setenv("DESKROUTE_LLM_PRICE_OUTPUT_PER_MTOK", "1000")
    with ChatStandIn() as standin:  # answers with 50 prompt and 20 completion tokens
        services = Services.from_settings(Settings.load(llm=_standin_llm(standin), prices=(
            PriceSettings(llm_price_input_per_mtok=2.0, llm_price_output_per_mtok=10.0))))
        llm = services.llm()
        assert llm is not None
        draft = llm.generate([{"role": "user", "content": "hello"}])
    assert draft.meta["price_source"] == "configured"
    assert draft.cost_usd == pytest.approx(50 * 2e-6 + 20 * 10e-6)


def test_pii_settings_given_to_settings_decide_what_the_hosted_leg_redacts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_PII_NAMES", "true")  # the environment would redact names
    text = "Hello, this is Jane Doe: where is my order? Write to jane@example.com"
    with ChatStandIn() as standin:
        for names in (False, True):
            services = Services.from_settings(Settings.load(
                llm=_standin_llm(standin), pii=PIISettings(names=names)))
            services.__dict__["kb"] = None  # no knowledge base: only the ticket travels
            services.hosted_answerer().answer(text, None, requester="Jane Doe")
        sent = [json.dumps(body["messages"]) for body in standin.bodies]
    assert "Jane Doe" in sent[0] and "[NAME_1]" not in sent[0]  # names=False, as given
    assert "Jane Doe" not in sent[1] and "[NAME_1]" in sent[1]
    assert "jane@example.com" not in "".join(sent)  # e-mails have no switch


def test_kb_refresh_seconds_given_to_settings_is_honoured(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The knowledge base read the refresh interval from the environment (issue 10 audit):
    one handed in through Settings was ignored, so new approved answers were not seen."""
    monkeypatch.setenv("DESKROUTE_KB_REFRESH_SECONDS", "3600")
    clear_cache()
    first = EntryData("1", "How long does shipping take?",
                      "Standard shipping takes 3 to 5 business days.", intent="shipping_time")
    second = EntryData("2", "How do I reset my password?",
                       "Use the reset link on the sign-in page.", intent="password_reset")
    with unit_of_work(sqlite_url) as session:
        import_entries(session, [first], kb="default", source="test")
    kb_settings = KBSettings(dir=tmp_path / "kb", refresh_seconds=0.001)
    services = Services.from_settings(Settings.load(database_url=sqlite_url, kb=kb_settings))
    try:
        assert len(services.kb) == 1
        with unit_of_work(sqlite_url) as session:
            import_entries(session, [second], kb="default", source="test")
        time.sleep(0.01)
        found = services.kb.retrieve("reset my password", None, k=1)
        assert len(services.kb) == 2 and found[0].intent == "password_reset"
    finally:
        clear_cache()


def test_signal_settings_given_to_settings_reach_routing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_SIGNALS_MAX_TOKENS", "5000")
    text = "Where is my order? " + "It has been a long wait for the parcel. " * 12
    names = []
    for max_tokens in (5000, 40):
        services = Services.from_settings(Settings.load(
            signals=SignalSettings(max_tokens=max_tokens)))
        names.append({s.name for s in route_text(services, text).decision.signals})
    assert "too_long" not in names[0] and "too_long" in names[1]


def test_feedback_settings_given_to_settings_judge_the_agent_reply(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_FEEDBACK_EDITED_DISTANCE", "0.35")
    draft = "Yes, we accept PayPal, Visa and Mastercard at checkout."
    with unit_of_work(sqlite_url) as s:
        t, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id="f-1",
                                                   body="Do you accept PayPal?"))
        repo.add_decision(s, t.id, Decision(
            route=Route.SLM, intent="payment_methods", confidence=0.9, reasons=("r",),
            policy_name="p", policy_hash="h", classifier_version="c", mode=Mode.ASSIST), 1.0)
        repo.add_draft(s, t.id, Draft(backend="template", model="kb", text=draft),
                       Verdict(score=1.0))
        repo.set_state(s, t, TicketState.ASSISTED)
        tid = t.id
        # a light edit: "edited" by the default thresholds
        record_agent_reply(s, tid, draft.replace("at checkout", "when you pay"), event_id="e")
    strict = FeedbackSettings(as_is_distance=0.0, edited_distance=0.01)
    services = Services.from_settings(Settings.load(database_url=sqlite_url, feedback=strict))
    execute("feedback", tid, url=sqlite_url, services=services)
    with unit_of_work(sqlite_url) as s:
        kinds = [f.kind for f in s.scalars(select(m.DraftFeedback))]
    assert kinds == ["rewritten"]  # beyond the strict edit distance given in Settings


def test_metrics_settings_given_to_create_app_are_used(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "metrics-settings-token-0123456789"
    monkeypatch.setenv("DESKROUTE_ADMIN_TOKEN", token)
    monkeypatch.setenv("DESKROUTE_METRICS_CACHE_SECONDS", "3600")  # would hide the change
    settings = Settings.load(database_url=sqlite_url,
                             metrics=MetricsSettings(metrics_cache_seconds=0))

    def received(client: TestClient) -> float:
        resp = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200
        line = next(x for x in resp.text.splitlines()
                    if x.startswith("deskroute_tickets_received_total"))
        return float(line.split()[-1])

    with TestClient(create_app(settings, embedded_worker=False)) as client:
        before = received(client)
        with unit_of_work(sqlite_url) as s:
            repo.insert_ticket(s, InboundTicket(source="generic", external_id="m-1", body="hi"))
        assert received(client) == before + 1


def test_model_settings_given_to_settings_choose_the_encoder_and_the_classifier(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The encoder's model and precision and the classifier were read from the environment
    below the edge (a cached ``model_settings()``): ones handed in through Settings were
    ignored, so the knowledge base was embedded at the environment's precision."""
    encoder = tmp_path / "enc"  # the bundled MiniLM under another name, linked file by file
    encoder.mkdir()
    for item in bundled_encoder_path().iterdir():
        (encoder / item.name).symlink_to(item)
    monkeypatch.setenv("DESKROUTE_EMBEDDING_MODEL", str(bundled_encoder_path()))  # not these
    monkeypatch.setenv("DESKROUTE_ENCODER_PRECISION", "int8")
    monkeypatch.setenv("DESKROUTE_CLASSIFIER", str(tmp_path / "no-classifier-here"))
    models = ModelSettings(embedding_model=str(encoder), encoder_precision="fp32",
                           classifier=None)  # None: the shipped classifier
    services = Services.from_settings(Settings.load(
        database_url=sqlite_url, models=models, kb=KBSettings(dir=tmp_path / "kb")))
    clear_cache()
    try:
        assert services.encoder.name == "enc@fp32"
        assert services.kb.encoder.name == "enc@fp32"  # the approved answers' vectors too
        shipped = TrainedClassifier.load(DEFAULT_CLASSIFIER_DIR).version
        assert services.classifier.version == shipped
        routed = route_text(services, "how do I reset my password")
        assert routed.decision.classifier_version == shipped
    finally:
        clear_cache()
