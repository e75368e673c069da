"""Every connector's ``verify`` answers odd headers with ``SignatureError`` (a 401), nothing else.

Header values arrive as latin-1 text (servers decode header bytes that way), so anything from
U+0000 to U+00FF can reach ``verify``; numbers are where it went wrong before (a
``X-Slack-Request-Timestamp`` of 401 digits overflowed slack_sdk's float: a 500 for anyone).
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_settings import BaseSettings

from connectors.base import SignatureError
from connectors.email.settings import EmailSettings
from connectors.freshdesk.settings import FreshdeskSettings
from connectors.generic.connector import GenericSettings
from connectors.helpscout.settings import HelpScoutSettings
from connectors.intercom.settings import IntercomSettings
from connectors.registry import BUILTINS, build_connector
from connectors.slack.settings import SlackSettings
from connectors.zendesk.settings import ZendeskSettings

SECRET = "fuzz-secret-0123456789abcdef0123"
SETTINGS: dict[str, BaseSettings] = {
    "generic": GenericSettings(webhook_secret=SECRET),
    "zendesk": ZendeskSettings(webhook_secret=SECRET),
    "freshdesk": FreshdeskSettings(webhook_token=SECRET),
    "intercom": IntercomSettings(client_secret=SECRET),
    "helpscout": HelpScoutSettings(secret=SECRET),
    "slack": SlackSettings(signing_secret=SECRET),
    "email": EmailSettings(email_inbound_password=SECRET),
}
HEADERS = {  # what each one reads
    "generic": ["webhook-id", "webhook-timestamp", "webhook-signature"],
    "zendesk": ["X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"],
    "freshdesk": ["X-Deskroute-Token"],
    "intercom": ["X-Hub-Signature"],
    "helpscout": ["X-HelpScout-Signature"],
    "slack": ["X-Slack-Request-Timestamp", "X-Slack-Signature"],
    "email": ["Authorization"],
}

latin1 = st.text(st.characters(min_codepoint=0, max_codepoint=0xFF), max_size=60)
numbers = st.one_of(
    st.integers(min_value=-10**500, max_value=10**500).map(str),
    st.integers(min_value=1, max_value=5000).map(lambda n: "9" * n),
    st.sampled_from(["1e400", "-1", "+1", "1_000", " 1", "inf", "nan", "0x10", "١٢٣", "0"]),
)
dates = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                     "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2021-13-45T99:99Z"]),
)
shaped = st.one_of(
    st.builds(lambda v: "v0=" + v, latin1), st.builds(lambda v: "v1," + v, latin1),
    st.builds(lambda v: "sha1=" + v, latin1),
    st.builds(lambda b: "Basic " + base64.b64encode(b).decode(), st.binary(max_size=40)),
    st.builds(lambda v: "Basic " + v, latin1),
)
# Now, so the replay window passes and the signature check itself meets odd input (a body
# that is not UTF-8 crashed slack_sdk's verifier).
now = st.one_of(st.builds(lambda: str(int(time.time()))),
                st.builds(lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
values = st.one_of(latin1, numbers, dates, shaped, now)


def headers(name: str) -> st.SearchStrategy[dict[str, str]]:
    """Each header the connector reads, present or not, in any letter case, any value."""
    wanted = HEADERS[name]
    return st.tuples(*[st.one_of(st.none(), st.tuples(
        st.sampled_from([h, h.lower(), h.upper()]),
        st.one_of(now, values) if "timestamp" in h.lower() else values)) for h in wanted]).map(
        lambda pairs: dict(p for p in pairs if p is not None))


def test_every_builtin_connector_is_covered() -> None:
    assert set(SETTINGS) == set(HEADERS) == set(BUILTINS)


def _fuzz(name: str) -> Any:
    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(headers=headers(name), body=st.one_of(st.binary(max_size=64), st.sampled_from(
        [b"\x80", b"{\"a\": \"\xff\"}", b"\xed\xa0\x80", b""])))
    def run(headers: dict[str, str], body: bytes) -> None:
        connector: Any = build_connector(name, SETTINGS[name])
        try:
            connector.verify(headers, body)
        except SignatureError:
            return
        pytest.fail(f"{name} accepted forged headers {headers!r}")  # pragma: no cover

    return run


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_odd_headers_only_ever_raise_signature_error(name: str) -> None:
    _fuzz(name)()
