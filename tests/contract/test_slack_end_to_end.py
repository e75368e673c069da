"""Slack end to end through the real pipeline (classifier, llama.cpp, verifier): a mention is
answered once in its thread even when Slack retries the event; a follow-up in the thread is
routed with its context; a risky direct message goes to the support channel with no answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from connectors.registry import Registry
from connectors.slack.settings import SlackSettings
from router.pipeline.services import Services
from router.worker.runner import drain
from tests.contract.fakes import slack as fs

pytestmark = pytest.mark.integration


@pytest.fixture
def fake() -> Iterator[fs.FakeSlack]:
    with fs.FakeSlack() as f:
        yield f


def _settings(fake: fs.FakeSlack) -> SlackSettings:
    return SlackSettings(signing_secret=fs.SIGNING_SECRET, bot_token=fs.BOT_TOKEN,
                         base_url=f"{fake.url}/api/", escalation_channel=fs.SUPPORT_CHANNEL,
                         oncall_group=fs.ONCALL, timeout_seconds=2)


def test_mention_answered_once_in_thread_then_follow_up_escalates(
        fake: fs.FakeSlack, pipeline_env: str, app_for: Callable[..., TestClient]) -> None:
    url = pipeline_env
    client = app_for(url, slack=_settings(fake))
    services = Services(database_url=url, connectors=Registry({"slack": _settings(fake)}))
    ev = fake.mention("Do you accept PayPal?")
    body = fake.event(ev)
    r = client.post("/slack/events", content=body, headers=fs.sign(body))
    assert r.status_code == 202 and r.json()["kind"] == "ticket", r.text
    first = r.json()["ticket_id"]
    retry = client.post("/slack/events", content=body,
                        headers={**fs.sign(body), "X-Slack-Retry-Num": "1"})
    assert retry.json()["duplicate"] is True
    drain(services=services, url=url)
    view = client.get(f"/tickets/{first}").json()
    assert view["state"] == "delivered", (view["state"], view.get("reason"))
    [answer] = fake.thread("C0GENERAL", ev["ts"])
    assert "paypal" in answer["text"].lower()
    assert fake.in_channel(fs.SUPPORT_CHANNEL) == []

    # The customer answers in the thread, mentioning the app again.
    later = fake.mention("That didn't help, PayPal is still not offered.", thread_ts=ev["ts"])
    body = fake.event(later)
    r = client.post("/slack/events", content=body, headers=fs.sign(body))
    assert r.json()["kind"] == "follow_up" and r.json()["thread_id"] == f"C0GENERAL:{ev['ts']}"
    drain(services=services, url=url)
    view = client.get(f"/tickets/{r.json()['ticket_id']}").json()
    assert view["decision"]["route"] == "human", view["decision"]
    assert any("follow-up" in reason for reason in view["decision"]["reasons"])
    assert view["state"] == "escalated"
    [alert] = fake.in_channel(fs.SUPPORT_CHANNEL)
    assert alert["text"].startswith(f"<!subteam^{fs.ONCALL}>")
    assert f"p{later['ts'].replace('.', '')}|this message>" in alert["text"]
    thread = fake.thread("C0GENERAL", ev["ts"])
    assert len(thread) == 2 and "support team" in thread[1]["text"]  # answer + notice

    # A risky direct message (same services: the models load once per test) gets no answer.
    dm = fake.dm("I will sue you, my lawyer is ready.")
    body = fake.event(dm)
    tid = client.post("/slack/events", content=body, headers=fs.sign(body)).json()["ticket_id"]
    drain(services=services, url=url)
    assert client.get(f"/tickets/{tid}").json()["state"] == "escalated"
    alert = fake.in_channel(fs.SUPPORT_CHANNEL)[-1]
    assert "legal" in alert["text"].lower() and f"Ticket {tid} " in alert["text"]
    [notice] = fake.thread("D0ANN", dm["ts"])
    assert "support team" in notice["text"]
