"""Slack contract tests: signatures (Slack's documented example), the URL challenge, what is
read and ignored, retries, and replies/escalations through slack_sdk's WebClient against a
fake Slack Web API on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from slack_sdk.signature import Clock, SignatureVerifier

from connectors.base import FollowUp, Handshake, Ignored, NewTicket, SignatureError
from connectors.slack.connector import SlackConnector
from connectors.slack.settings import SlackSettings
from router.domain import OutgoingReply
from router.store import models as m
from tests.contract.conftest import count
from tests.contract.fakes import slack as fs

# Slack's documented example ("Verifying requests from Slack"): secret, timestamp, body, signature
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TS = 1531420618
DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977008"
    b"85554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c4"
    b"47fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


@pytest.fixture
def fake() -> Iterator[fs.FakeSlack]:
    with fs.FakeSlack() as f:
        yield f


def settings(fake: fs.FakeSlack, **over: Any) -> SlackSettings:
    values: dict[str, Any] = {
        "signing_secret": fs.SIGNING_SECRET, "bot_token": fs.BOT_TOKEN,
        "base_url": f"{fake.url}/api/", "escalation_channel": fs.SUPPORT_CHANNEL,
        "oncall_group": fs.ONCALL, "timeout_seconds": 2,
    }
    return SlackSettings(**{**values, **over})


@pytest.fixture
def api(fake: fs.FakeSlack, app_for: Callable[..., TestClient]) -> TestClient:
    return app_for(slack=settings(fake))


# --- signatures -----------------------------------------------------------------------------


def test_documented_example_verifies_at_its_time_and_not_after_five_minutes() -> None:
    headers = {"X-Slack-Request-Timestamp": str(DOC_TS), "X-Slack-Signature": DOC_SIGNATURE}
    assert SignatureVerifier(DOC_SECRET).generate_signature(
        timestamp=str(DOC_TS), body=DOC_BODY) == DOC_SIGNATURE
    conn = SlackConnector(SlackSettings(signing_secret=DOC_SECRET), clock=FixedClock(DOC_TS + 30))
    conn.verify(headers, DOC_BODY)  # authentic
    with pytest.raises(SignatureError):
        conn.verify(headers, DOC_BODY + b"&x=1")  # tampered body
    conn.clock = FixedClock(DOC_TS + 301)
    with pytest.raises(SignatureError):
        conn.verify(headers, DOC_BODY)  # stale: Slack's window is 5 minutes
    conn.clock = FixedClock(DOC_TS - 301)
    with pytest.raises(SignatureError):
        conn.verify(headers, DOC_BODY)  # from the future


@pytest.mark.parametrize("path", ["/slack/events", "/webhooks/slack"])
@pytest.mark.parametrize("case", ["bad", "stale", "missing", "junk_ts", "huge_ts", "far_ts",
                                  "not_utf8", "other_secret"])
def test_bad_or_stale_signature_is_401_and_stores_nothing(
        case: str, path: str, fake: fs.FakeSlack, api: TestClient, sqlite_url: str) -> None:
    body = fake.event(fake.mention("Do you accept PayPal?"))
    headers = fs.sign(body)
    if case == "bad":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif case == "stale":
        headers = fs.sign(body, ts=int(__import__("time").time()) - 6 * 60)
    elif case == "missing":
        headers.pop("X-Slack-Signature")
    elif case == "junk_ts":
        headers["X-Slack-Request-Timestamp"] = "soon"
    elif case == "huge_ts":  # slack_sdk's float() of it overflowed: a 500, no secret needed
        headers["X-Slack-Request-Timestamp"] = "9" * 401
    elif case == "far_ts":
        headers["X-Slack-Request-Timestamp"] = "9" * 13
    elif case == "not_utf8":  # a fresh timestamp, any signature: slack_sdk decoded the body
        body = b'{"type": "event_callback", "x": "\xff"}'
    else:
        headers = fs.sign(body, secret="another-apps-signing-secret-0123")
    r = api.post(path, content=body, headers=headers)
    assert r.status_code == 401, r.text
    assert count(sqlite_url, m.Ticket) == 0
    assert fake.posted == []


def test_url_verification_challenge_is_echoed_only_when_signed(api: TestClient,
                                                               sqlite_url: str) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"  # Slack's example
    body = json.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "url_verification",
                       "challenge": challenge}).encode()
    r = api.post("/slack/events", content=body, headers=fs.sign(body))
    assert r.status_code == 200
    assert r.json() == {"challenge": challenge}
    forged = api.post("/slack/events", content=body,
                      headers=fs.sign(body, secret="another-apps-signing-secret-0123"))
    assert forged.status_code == 401
    assert count(sqlite_url, m.Ticket) == 0


# --- what is read, what is ignored ------------------------------------------------------------


def test_mention_and_dm_become_tickets_keyed_by_message(fake: fs.FakeSlack) -> None:
    conn = SlackConnector(settings(fake))
    ev = fake.mention("Do you accept <https://pay.example/paypal|PayPal> &amp; cards?")
    got = conn.parse({}, fake.event(ev))
    assert isinstance(got, NewTicket)
    t = got.ticket
    assert t.body == "Do you accept PayPal (https://pay.example/paypal) & cards?"
    assert t.external_id == f"C0GENERAL:{ev['ts']}" and t.thread_id == f"C0GENERAL:{ev['ts']}"
    assert t.source == "slack" and t.requester == "U0ANN"
    dm = fake.dm("How do I reset my card PIN?")
    got_dm = conn.parse({}, fake.event(dm))
    assert isinstance(got_dm, NewTicket) and got_dm.ticket.body == "How do I reset my card PIN?"
    later = fake.dm("It still does not work", thread_ts=dm["ts"])
    follow = conn.parse({}, fake.event(later))
    assert isinstance(follow, FollowUp)
    assert follow.ticket.thread_id == f"D0ANN:{dm['ts']}"
    assert follow.ticket.external_id == f"D0ANN:{later['ts']}"


def test_bots_own_posts_edits_and_other_events_are_ignored(fake: fs.FakeSlack) -> None:
    conn = SlackConnector(settings(fake))
    own = fake.dm("Here is how to reset your PIN")
    own["user"] = fs.BOT_USER
    bot = {**fake.dm("beep"), "bot_id": "B0OTHER", "subtype": "bot_message"}
    other_bot = {**fake.mention("status?"), "bot_id": "B0OTHER"}
    edit = {"type": "message", "subtype": "message_changed", "channel": "D0ANN",
            "channel_type": "im", "ts": "1700000099.000100",
            "message": {"type": "message", "user": "U0ANN", "text": "edited"}}
    deleted = {"type": "message", "subtype": "message_deleted", "channel": "D0ANN",
               "channel_type": "im", "ts": "1700000099.000200"}
    channel_msg = {**fake.dm("chatter"), "channel": "C0GENERAL", "channel_type": "channel"}
    reaction = {"type": "reaction_added", "user": "U0ANN", "reaction": "thumbsup"}
    only_mention = fake.mention("")
    reasons = {}
    for name, ev in [("own", own), ("bot", bot), ("other_bot", other_bot), ("edit", edit),
                     ("deleted", deleted), ("channel", channel_msg), ("reaction", reaction),
                     ("empty", only_mention)]:
        got = conn.parse({}, fake.event(ev))
        assert isinstance(got, Ignored), name
        reasons[name] = got.reason
    assert "own" in reasons["own"]
    assert "bot" in reasons["bot"] and "bot" in reasons["other_bot"]
    assert "edit" in reasons["edit"]
    assert "mention" in reasons["channel"]
    rate = conn.parse({}, json.dumps({"type": "app_rate_limited", "team_id": "T0ACME"}).encode())
    assert isinstance(rate, Ignored)
    challenge = conn.parse({}, b'{"type": "url_verification", "challenge": "abc"}')
    assert isinstance(challenge, Handshake) and challenge.answer == {"challenge": "abc"}


def test_own_user_from_settings_when_the_event_has_no_authorizations(fake: fs.FakeSlack) -> None:
    conn = SlackConnector(settings(fake, bot_user_id=fs.BOT_USER))
    raw = json.loads(fake.event({**fake.dm("hi"), "user": fs.BOT_USER}))
    raw.pop("authorizations")
    assert isinstance(conn.parse({}, json.dumps(raw).encode()), Ignored)


def test_malformed_event_is_422(fake: fs.FakeSlack, api: TestClient, sqlite_url: str) -> None:
    body = fake.event({"type": "app_mention", "text": "hi", "channel": "C1"})  # no ts, no user
    r = api.post("/slack/events", content=body, headers=fs.sign(body))
    assert r.status_code == 422 and r.json()["detail"]["field"].startswith("event.")
    junk = b"not json"
    assert api.post("/slack/events", content=junk, headers=fs.sign(junk)).status_code == 422
    assert count(sqlite_url, m.Ticket) == 0


# --- intake: store, dedupe retries ----------------------------------------------------------


def test_retried_event_is_one_ticket(fake: fs.FakeSlack, api: TestClient,
                                     sqlite_url: str) -> None:
    body = fake.event(fake.mention("Do you accept PayPal?"), event_id="Ev0RETRY01")
    first = api.post("/slack/events", content=body, headers=fs.sign(body))
    assert first.status_code == 202 and first.json()["duplicate"] is False
    for n in (1, 2, 3):  # Slack's retries: same event_id, X-Slack-Retry-Num, fresh signature
        again = api.post("/slack/events", content=body,
                         headers={**fs.sign(body), "X-Slack-Retry-Num": str(n),
                                  "X-Slack-Retry-Reason": "http_timeout"})
        assert again.status_code == 202 and again.json()["duplicate"] is True
        assert again.json()["ticket_id"] == first.json()["ticket_id"]
    ignored = fake.event({**fake.dm("hello"), "user": fs.BOT_USER})
    r = api.post("/slack/events", content=ignored, headers=fs.sign(ignored))
    assert r.status_code == 200 and r.json()["ignored"] is True
    assert count(sqlite_url, m.Ticket) == 1
    # the generic route takes the same events
    other = fake.event(fake.dm("Where is my card?"))
    assert api.post("/webhooks/slack", content=other, headers=fs.sign(other)).status_code == 202
    assert count(sqlite_url, m.Ticket) == 2


# --- outbound -------------------------------------------------------------------------------


def _reply(ev: dict[str, Any], text: str, kind: str = "reply", **meta: Any) -> OutgoingReply:
    root = ev.get("thread_ts") or ev["ts"]
    return OutgoingReply(
        ticket_id=7, external_id=f"{ev['channel']}:{ev['ts']}", text=text, kind=kind,
        thread_id=f"{ev['channel']}:{root}",
        metadata={"slack_channel": ev["channel"], "slack_ts": ev["ts"],
                  "slack_thread_ts": root, "slack_user": ev["user"], **meta})


def test_reply_lands_in_the_thread(fake: fs.FakeSlack) -> None:
    conn = SlackConnector(settings(fake))
    ev = fake.mention("Do you accept PayPal?")
    result = conn.reply(_reply(ev, "Yes, we accept PayPal <and> cards & more."))
    assert result.ok and result.vendor_ref
    [posted] = fake.posted
    assert posted["channel"] == "C0GENERAL" and posted["thread_ts"] == ev["ts"]
    assert posted["text"] == "Yes, we accept PayPal &lt;and&gt; cards &amp; more."
    call = fake.calls("POST", r"chat\.postMessage")[0]
    assert call.headers["authorization"] == f"Bearer {fs.BOT_TOKEN}"
    follow = fake.dm("still broken", thread_ts="1700000000.000001")
    conn.reply(_reply(follow, "Sorry about that."))
    assert fake.posted[-1]["thread_ts"] == "1700000000.000001"


def test_escalation_posts_to_support_with_permalink_and_oncall(fake: fs.FakeSlack) -> None:
    conn = SlackConnector(settings(fake))
    ev = fake.mention("I want to talk to a lawyer about this charge")
    note = "Escalated by deskroute: legal threat\nIntent: dispute (confidence 0.41)"
    result = conn.escalate(_reply(ev, note, kind="escalation"))
    assert result.ok
    [alert] = fake.in_channel(fs.SUPPORT_CHANNEL)
    assert alert["text"].startswith(f"<!subteam^{fs.ONCALL}> ")
    permalink = f"https://acme.slack.com/archives/C0GENERAL/p{ev['ts'].replace('.', '')}"
    assert f"<{permalink}|this message>" in alert["text"]
    assert "legal threat" in alert["text"] and "<@U0ANN>" in alert["text"]
    assert alert["thread_ts"] is None
    [ack] = fake.thread("C0GENERAL", ev["ts"])
    assert "support team" in ack["text"]
    quiet = SlackConnector(settings(fake, escalation_ack="", oncall_group=None))
    quiet.escalate(_reply(fake.mention("refund now"), note, kind="escalation"))
    assert not fake.in_channel(fs.SUPPORT_CHANNEL)[-1]["text"].startswith("<!subteam")
    assert len(fake.in_channel("C0GENERAL")) == 1  # no second notice


def test_failures_are_results_the_worker_can_retry(fake: fs.FakeSlack) -> None:
    conn = SlackConnector(settings(fake))
    ev = fake.mention("hello?")
    fake.fail_next(status=429, headers={"Retry-After": "17"}, body={"ok": False,
                                                                    "error": "ratelimited"})
    limited = conn.reply(_reply(ev, "hi"))
    assert not limited.ok and limited.retryable and limited.retry_after == 17.0
    fake.fail_next(status=503)
    assert conn.reply(_reply(ev, "hi")).retryable
    wrong = SlackConnector(settings(fake, bot_token="xoxb-9999999999-8888888888-WrongTokenValue"))
    refused = wrong.reply(_reply(ev, "hi"))
    assert not refused.ok and not refused.retryable and "invalid_auth" in (refused.error or "")
    unset = SlackConnector(settings(fake, bot_token=None)).reply(_reply(ev, "hi"))
    assert not unset.ok and "DESKROUTE_SLACK_BOT_TOKEN" in (unset.error or "")
    nowhere = SlackConnector(settings(fake, escalation_channel=None))
    missing = nowhere.escalate(_reply(ev, "x", kind="escalation"))
    assert not missing.ok and "DESKROUTE_SLACK_ESCALATION_CHANNEL" in (missing.error or "")
    assert fake.posted == []
    dead = SlackConnector(settings(fake, base_url="http://127.0.0.1:9/api/"))
    down = dead.reply(_reply(ev, "hi"))
    assert not down.ok and down.retryable
    assert fs.BOT_TOKEN not in repr([limited, refused, down])


def test_shipped_manifest_subscribes_to_what_the_connector_reads() -> None:
    from importlib.resources import files

    import yaml

    manifest = yaml.safe_load(files("connectors.slack").joinpath("manifest.yml").read_text())
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events")
    assert sorted(events["bot_events"]) == ["app_mention", "message.im"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "im:history"} <= scopes
