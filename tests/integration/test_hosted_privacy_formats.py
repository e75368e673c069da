"""Every promised kind of personal data, in the many formats people write it, through the real
hosted leg (issue 11).

Hypothesis writes tickets holding one to three values (cards with dots, slashes or
underscores, IBANs with dashes, internationalised and spelled-out e-mails, SSNs without
separators, dates of birth, street addresses, postcodes, passport numbers, the requester's
name ...; see tests/pii_variants.py). Each ticket goes through the pipeline's hosted leg to a
capturing OpenAI-compatible server on loopback (in front of the bundled model), and every
request body it receives is searched for the values. The redaction boundary itself sees
hundreds of such tickets in tests/unit/guard/test_guard_pii_formats_property.py; here ten
tickets of two or three values each, because each one is a real model call (seconds each on a
loaded machine).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import hypothesis
import pytest

from router.answering.result import AnswerResult
from router.pipeline.services import Services
from router.settings import LLMSettings
from tests.helpers_http import CapturingProxy
from tests.pii_variants import KIND_STRATEGIES, Case, formatted_tickets, leaked, name_leaked

pytestmark = pytest.mark.integration

def _hosted(services: Services, text: str, requester: str | None = None) -> AnswerResult:
    """The pipeline's hosted leg, as the worker calls it (with the ticket's requester)."""
    return services.hosted_answerer().answer(text, None, requester=requester)


@pytest.fixture(scope="module")
def proxy(llama_server: str) -> Iterator[CapturingProxy]:
    with CapturingProxy(llama_server.removesuffix("/v1")) as p:
        yield p


@pytest.fixture(scope="module")
def services(proxy: CapturingProxy) -> Services:
    s = Services(llm_settings=LLMSettings(
        llm_model="openai/smol", llm_api_base=proxy.url + "/v1", llm_retries=0,
        llm_max_tokens=8, llm_seed=7, llm_timeout=300))
    s.__dict__["kb"] = None  # no knowledge base: only the ticket travels
    return s


def _sent_since(proxy: CapturingProxy, first: int) -> str:
    return "\n".join(m["content"] for body in proxy.bodies[first:] if body.strip()
                     for m in json.loads(body)["messages"])


def _leaks(cases: list[Case], sent: str) -> list[str]:
    return [f"{c.kind} {c.value!r}" for c in cases
            if (name_leaked(c.value, sent) if c.kind == "NAME" else leaked(c.value, sent))]


@hypothesis.given(formatted_tickets(tuple(KIND_STRATEGIES), min_cases=2))
@hypothesis.settings(max_examples=10, deadline=None, database=None,
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_no_promised_kind_in_any_format_reaches_the_hosted_llm(
    proxy: CapturingProxy, services: Services, ticket: tuple[list[Case], str]
) -> None:
    cases, text = ticket
    requester = next((c.requester for c in cases if c.requester), None)
    first = len(proxy.bodies)
    answer = _hosted(services, text, requester)
    sent = _sent_since(proxy, first)
    assert len(proxy.bodies) > first and text not in sent
    assert not _leaks(cases, sent), (text, sent[-600:])
    for case in cases:
        assert answer.redactions.get(case.kind, 0) >= 1, (case, answer.redactions)


def test_the_issue_examples_do_not_reach_the_hosted_llm(
    proxy: CapturingProxy, services: Services
) -> None:
    """The probe's leaks, one ticket: each value written the way it got through before."""
    ticket = (
        "Card 4111.1111.1111.1111 (also tried 5555/5555/5555/4444 and 4000_0566_5566_5556). "
        "Refund to DE89-3704-0044-0532-0130-00 or GB82.WEST.1234.5698.7654.32. "
        "Write to müller@bücher.de or jane [at] example [dot] com. SSN 123456789. "
        "I was born on 14/03/1985, I live at 221B Baker Street, London NW1 6XE, "
        "passport number C01X00T47. Thanks, Siobhan Brennan"
    )
    values = ["4111.1111.1111.1111", "5555/5555/5555/4444", "4000_0566_5566_5556",
              "DE89-3704-0044-0532-0130-00", "GB82.WEST.1234.5698.7654.32", "müller@bücher.de",
              "jane [at] example [dot] com", "123456789", "14/03/1985", "221B Baker Street",
              "NW1 6XE", "C01X00T47"]
    first = len(proxy.bodies)
    answer = _hosted(services, ticket, requester='"Siobhan Brennan" <s.brennan@example.com>')
    sent = _sent_since(proxy, first)
    assert [v for v in values if leaked(v, sent)] == []
    assert not name_leaked("Siobhan Brennan", sent)
    assert answer.redactions == {"EMAIL": 2, "IBAN": 2, "NATIONAL_ID": 1, "PASSPORT": 1,
                                 "CARD": 3, "DATE_OF_BIRTH": 1, "POSTCODE": 1, "ADDRESS": 1,
                                 "NAME": 1}
