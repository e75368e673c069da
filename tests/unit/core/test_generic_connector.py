from __future__ import annotations

import json

import pytest

from connectors.base import FollowUp, NewTicket, PayloadError, SignatureError
from connectors.generic.connector import GenericConnector, GenericSettings


def test_parses_the_documented_ticket() -> None:
    c = GenericConnector(GenericSettings(webhook_secret="s3cr3t-value-for-tests"))
    event = c.parse({}, json.dumps({"id": "42", "subject": "Hi", "body": "Where is my order?",
                                    "requester": {"email": "a@b.example"},
                                    "thread_id": "th"}).encode())
    assert isinstance(event, FollowUp)  # the sender named a thread: routed with its context
    t = event.ticket
    assert (t.source, t.external_id, t.requester, t.thread_id) == ("generic", "42", "a@b.example",
                                                                   "th")
    assert t.text == "Hi\nWhere is my order?"


def test_a_ticket_without_thread_is_new() -> None:
    event = GenericConnector().parse({}, b'{"id": "7", "body": "hello"}')
    assert isinstance(event, NewTicket) and event.ticket.external_id == "7"


@pytest.mark.parametrize("payload,field", [
    ({"body": "x"}, "id"),
    ({"id": "1"}, "body"),
    ({"id": "1", "body": ""}, "body"),
    ({"id": "1", "body": "x", "unexpected": 1}, "unexpected"),
    ({"id": "1", "body": 5}, "body"),
])
def test_malformed_payload_names_the_field(payload: dict, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        GenericConnector().parse({}, json.dumps(payload).encode())
    assert err.value.field == field


def test_invalid_json_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="not valid JSON"):
        GenericConnector().parse({}, b"{nope")


def test_without_a_secret_every_webhook_is_refused() -> None:
    with pytest.raises(SignatureError, match="WEBHOOK_SECRET"):
        GenericConnector(GenericSettings(webhook_secret=None)).verify({}, b"{}")
