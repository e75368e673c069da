"""Each helpdesk end to end through the real pipeline (classifier, llama.cpp, verifier):

a ticket arrives by the vendor's webhook, the answer lands on that conversation as a public
reply; the customer's follow-up in the same conversation is routed with its context ("that
didn't help" after a local answer goes to a human), and the escalation leaves an internal
note, assigns the group/team and adds the tag while keeping the existing ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from router.domain import TicketState
from router.pipeline.services import Services
from router.store import models as m
from router.store import repo
from router.store.db import unit_of_work
from router.worker.runner import drain
from tests.contract.vendors import EXPECTED_GROUP, EXPECTED_TAG, KITS, Kit

pytestmark = pytest.mark.integration


@pytest.fixture(params=sorted(KITS))
def kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    with KITS[request.param]() as k:
        yield k


def services_for(kit: Kit, url: str) -> Services:
    from connectors.registry import Registry

    return Services(database_url=url, connectors=Registry({kit.name: kit.settings()}))


def test_answer_follow_up_and_escalation(
        kit: Kit, pipeline_env: str, app_for: Callable[..., TestClient]) -> None:
    url = pipeline_env
    client = app_for(url, **{kit.name: kit.settings()})
    services = services_for(kit, url)
    other = kit.open("Unrelated: do you sell gift cards?")
    conv = kit.open("Do you accept PayPal?")

    body, headers = kit.opened_webhook(conv)
    r = client.post(f"/webhooks/{kit.name}", content=body, headers=headers)
    assert r.status_code == 202 and r.json()["kind"] == "ticket", r.text
    first = r.json()["ticket_id"]
    drain(services=services, url=url)
    again = client.post(f"/webhooks/{kit.name}", content=body, headers=headers)  # redelivered
    assert again.json()["ticket_id"] == first and again.json()["duplicate"] is True
    drain(services=services, url=url)
    view = client.get(f"/tickets/{first}").json()
    assert view["state"] == "delivered", (view["state"], view.get("reason"))
    assert view["decision"]["route"] == "slm"
    replies = kit.replies(conv)
    assert len(replies) == 1 and "PayPal" in replies[0].replace("&#x27;", "'"), replies
    assert kit.replies(other) == [] and kit.notes(conv) == []

    body, headers = kit.customer_writes(conv, "That didn't help, PayPal is still not offered.")
    r = client.post(f"/webhooks/{kit.name}", content=body, headers=headers)
    assert r.status_code == 202 and r.json()["kind"] == "follow_up", r.text
    assert r.json()["thread_id"] == conv
    second = r.json()["ticket_id"]
    drain(services=services, url=url)
    view = client.get(f"/tickets/{second}").json()
    assert view["decision"]["route"] == "human", view["decision"]
    assert any("follow-up" in reason for reason in view["decision"]["reasons"])
    assert view["state"] == "escalated"
    assert len(kit.replies(conv)) == 1  # no second answer to an unhappy customer
    notes = kit.notes(conv)
    assert len(notes) == 1 and "Escalated by deskroute" in notes[0]
    assert kit.group(conv) == EXPECTED_GROUP[kit.name]
    tags = kit.tags(conv)
    assert tags[-1] == EXPECTED_TAG[kit.name] and "vip" in tags  # existing tag kept
    with unit_of_work(url) as s:
        outcomes = list(s.scalars(select(m.Outcome.kind).where(m.Outcome.ticket_id == first)))
        assert outcomes, "the follow-up should mark the first answer as not helpful"
        assert repo.get_ticket(s, second).thread_id == conv  # type: ignore[union-attr]


def test_risky_first_message_goes_to_a_human_without_a_public_reply(
        kit: Kit, pipeline_env: str, app_for: Callable[..., TestClient]) -> None:
    url = pipeline_env
    client = app_for(url, **{kit.name: kit.settings()})
    conv = kit.open("I will sue you, my lawyer is ready.")
    body, headers = kit.opened_webhook(conv)
    tid = client.post(f"/webhooks/{kit.name}", content=body, headers=headers).json()["ticket_id"]
    drain(services=services_for(kit, url), url=url)
    with unit_of_work(url) as s:
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None and ticket.state == TicketState.ESCALATED.value
    assert kit.replies(conv) == []
    assert len(kit.notes(conv)) == 1 and "legal" in kit.notes(conv)[0].lower()
    assert kit.group(conv) == EXPECTED_GROUP[kit.name]
