"""Outcomes the helpdesks report — solved, reopened, a satisfaction rating — through the real
API with each vendor's signed webhook, counted once by the report however often the vendor
redelivers, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import ChannelOutcome, PayloadError
from connectors.freshdesk.connector import csat_value
from connectors.helpscout.connector import HelpScoutConnector
from connectors.intercom.connector import IntercomConnector
from router.domain import CSAT_SCALE, OutcomeKind
from router.pricing import PriceSettings
from router.reports import build_report
from router.reports.settings import ReportSettings
from router.settings import LLMSettings
from router.store import models as m
from router.store.db import unit_of_work
from tests.contract.vendors import KITS, Kit

Hook = tuple[bytes, dict[str, str]]


def report(url: str) -> dict[str, Any]:
    with unit_of_work(url) as s:
        return build_report(s, settings=ReportSettings(), llm=LLMSettings(), prices=PriceSettings())


def outcomes(url: str) -> list[tuple[str, str, float | None]]:
    with unit_of_work(url) as s:
        return [(o.kind, o.source, o.value)
                for o in s.scalars(select(m.Outcome).order_by(m.Outcome.id))]


def start(kit: Kit, client: Any) -> tuple[str, int]:
    conv = kit.open("Where is my order?")
    body, headers = kit.opened_webhook(conv)
    res = client.post(f"/webhooks/{kit.name}", content=body, headers=headers)
    assert res.status_code == 202, res.text
    return conv, int(res.json()["ticket_id"])


def delivered_twice(client: Any, vendor: str, hook: Hook, ticket_id: int) -> None:
    """The vendor sends the event and, its retry, the same event again: one outcome."""
    body, headers = hook
    answers = [client.post(f"/webhooks/{vendor}", content=body, headers=headers)
               for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202], answers[0].text
    assert [a.json()["duplicate"] for a in answers] == [False, True]
    assert {a.json()["ticket_id"] for a in answers} == {ticket_id}
    assert answers[0].json()["kind"] == "outcome"


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
@pytest.mark.parametrize("vendor", sorted(KITS))
def test_solved_reopened_and_rated_count_once_in_the_report(
        vendor: str, store: str, app_for: Any, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if store == "sqlite" else "pg_url")
    with KITS[vendor]() as kit:
        client = app_for(url, **{vendor: kit.settings()})
        conv, ticket_id = start(kit, client)

        delivered_twice(client, vendor, kit.resolved(conv), ticket_id)
        r = report(url)
        assert (r["resolved_confirmed"], r["reopened"]) == (1, 0)

        delivered_twice(client, vendor, kit.reopened(conv), ticket_id)
        r = report(url)
        assert (r["resolved_confirmed"], r["reopened"]) == (0, 1)

        delivered_twice(client, vendor, kit.resolved(conv), ticket_id)
        hook, csat = kit.rated(conv)
        delivered_twice(client, vendor, hook, ticket_id)
        r = report(url)
        assert (r["resolved_confirmed"], r["reopened"]) == (1, 1)
        assert (r["csat_responses"], r["csat_mean"]) == (1, csat)
        assert outcomes(url) == [("resolved", vendor, None), ("reopened", vendor, None),
                                 ("resolved", vendor, None), ("csat", vendor, csat)]


@pytest.mark.parametrize("vendor", ["freshdesk", "intercom", "helpscout"])
def test_a_status_alone_reopens_only_a_resolved_conversation(
        vendor: str, app_for: Any, sqlite_url: str) -> None:
    """These channels send the new status without the old one: "open" or "pending" right
    after deskroute's reply is not a reopening; it is once the conversation was resolved."""
    with KITS[vendor]() as kit:
        client = app_for(sqlite_url, **{vendor: kit.settings()})
        conv, ticket_id = start(kit, client)
        body, headers = kit.reopened(conv)
        res = client.post(f"/webhooks/{vendor}", content=body, headers=headers)
        assert res.status_code == 200 and res.json()["ignored"] is True
        assert "not resolved before" in res.json()["reason"]
        delivered_twice(client, vendor, kit.resolved(conv), ticket_id)
        delivered_twice(client, vendor, kit.reopened(conv), ticket_id)
        assert [k for k, _, _ in outcomes(sqlite_url)] == ["resolved", "reopened"]


@pytest.mark.parametrize("vendor", ["freshdesk", "helpscout"])
def test_a_second_resolved_status_is_not_a_second_resolution(
        vendor: str, app_for: Any, sqlite_url: str) -> None:
    """Resolved then Closed (Freshdesk closes resolved tickets later; Help Scout can be
    closed twice in a row): one resolution."""
    with KITS[vendor]() as kit:
        client = app_for(sqlite_url, **{vendor: kit.settings()})
        conv, ticket_id = start(kit, client)
        delivered_twice(client, vendor, kit.resolved(conv), ticket_id)
        body, headers = kit.resolved(conv)
        res = client.post(f"/webhooks/{vendor}", content=body, headers=headers)
        assert res.status_code == 200 and res.json()["reason"] == "already resolved"
        assert [k for k, _, _ in outcomes(sqlite_url)] == ["resolved"]


def test_vendor_rating_scales_map_onto_csat_scale() -> None:
    assert CSAT_SCALE == (1, 5)
    assert [csat_value(c) for c in (-103, -102, -101, 100, 101, 102, 103)] == [
        1.0, 1.67, 2.33, 3.0, 3.67, 4.33, 5.0]
    for bad in (0, 99, 104, -100, 1):
        with pytest.raises(PayloadError):
            csat_value(bad)


def test_help_scout_rating_words_and_bad_ratings() -> None:
    from connectors.helpscout.settings import HelpScoutSettings
    from tests.contract.fakes.helpscout import SECRET, FakeHelpScout

    with FakeHelpScout() as hs:
        conv = hs.start("Q", "<p>Where is my order?</p>")
        c = HelpScoutConnector(HelpScoutSettings(secret=SECRET))  # type: ignore[arg-type]
        for word, value in (("Great", 5.0), ("Okay", 3.0), ("Bad", 1.0)):
            body, headers = FakeHelpScout.signed(hs.rating(conv, word), "satisfaction.ratings")
            event = c.parse(headers, body)
            assert isinstance(event, ChannelOutcome)
            assert (event.outcome, event.value, event.thread_id) == (
                OutcomeKind.CSAT, value, str(conv))
        body, headers = FakeHelpScout.signed(hs.rating(conv, "Meh"), "satisfaction.ratings")
        with pytest.raises(PayloadError, match="Great, Okay or Bad"):
            c.parse(headers, body)


def test_help_scout_closed_by_deskroute_itself_is_not_a_resolution() -> None:
    """With DESKROUTE_HELPSCOUT_REPLY_STATUS=closed deskroute's own reply closes the
    conversation: that says nothing about the customer."""
    from connectors.helpscout.settings import HelpScoutSettings
    from tests.contract.fakes.helpscout import AGENT_ID, BOT_ID, SECRET, FakeHelpScout

    with FakeHelpScout() as hs:
        conv = hs.start("Q", "<p>Where is my order?</p>")
        c = HelpScoutConnector(HelpScoutSettings(  # type: ignore[arg-type]
            secret=SECRET, user_id=str(BOT_ID)))
        hs.set_status(conv, "closed", by=BOT_ID)
        body, headers = FakeHelpScout.signed(hs.payload(conv), "convo.status")
        own = c.parse(headers, body)
        assert own.kind == "ignored" and "deskroute" in own.reason  # type: ignore[union-attr]
        hs.set_status(conv, "closed", by=AGENT_ID)
        body, headers = FakeHelpScout.signed(hs.payload(conv), "convo.status")
        agent = c.parse(headers, body)
        assert isinstance(agent, ChannelOutcome) and agent.outcome is OutcomeKind.RESOLVED


def test_intercom_rating_off_the_scale_is_refused(app_for: Any, sqlite_url: str) -> None:
    from tests.contract.vendors import IntercomKit

    with IntercomKit() as kit:
        client = app_for(sqlite_url, intercom=kit.settings())
        conv, _ = start(kit, client)
        kit.fake.rate(conv, 9)
        body, headers = kit.fake.signed(kit.fake.notification("conversation.rating.added", conv))
        res = client.post("/webhooks/intercom", content=body, headers=headers)
        assert res.status_code == 422
        assert res.json()["detail"]["field"] == "data.item.conversation_rating.rating"
        assert outcomes(sqlite_url) == []
        parsed = IntercomConnector(kit.settings()).parse(  # type: ignore[arg-type]
            headers, kit.fake.signed(kit.fake.notification("conversation.admin.closed",
                                                           conv, notif_id="notif_1"))[0])
        assert parsed == ChannelOutcome(thread_id=conv, outcome=OutcomeKind.RESOLVED,
                                        event_id="notif_1")


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_vendor_event_id_longer_than_the_column_is_422(
        store: str, app_for: Any, request: pytest.FixtureRequest) -> None:
    """Outcomes and agent replies skip the ticket checks of the intake: their ids are bounded
    when the connector builds the event (a 500 on PostgreSQL, stored on SQLite before)."""
    from tests.contract.vendors import IntercomKit

    url = request.getfixturevalue("sqlite_url" if store == "sqlite" else "pg_url")
    with IntercomKit() as kit:
        client = app_for(url, intercom=kit.settings())
        conv, _ = start(kit, client)
        body, headers = kit.fake.signed(kit.fake.notification(
            "conversation.admin.closed", conv, notif_id="n" * 256))
        res = client.post("/webhooks/intercom", content=body, headers=headers)
        assert res.status_code == 422, res.text
        assert res.json()["detail"]["field"] == "event_id"
        assert outcomes(url) == []
        body, headers = kit.fake.signed(kit.fake.notification(
            "conversation.admin.closed", conv, notif_id="n" * 255))
        assert client.post("/webhooks/intercom", content=body, headers=headers).status_code == 202
        assert outcomes(url) == [("resolved", "intercom", None)]
