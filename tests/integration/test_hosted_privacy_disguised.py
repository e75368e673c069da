"""Disguised personal data through the real hosted-LLM HTTP path (issue 18).

A card, IBAN, e-mail, phone or national id written with odd Unicode spaces, zero-width
characters, soft hyphens, a BOM or other-script digits must not reach the hosted model. The
property test (tests/unit/guard/test_guard_pii_invisible.py) checks hundreds of variants at
the redaction boundary; here one variant per seed goes through the hosted leg
(``HostedAnswerer``) to a capturing OpenAI-compatible server on loopback, and every request
body is searched.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest

from router.pipeline.services import Services
from router.settings import LLMSettings
from tests.helpers_http import CapturingProxy
from tests.pii_variants import SEEDS, disguise, leaked

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(llama_server: str) -> Iterator[CapturingProxy]:
    with CapturingProxy(llama_server.removesuffix("/v1")) as p:
        yield p


def test_disguised_personal_data_never_reaches_the_hosted_llm(proxy: CapturingProxy) -> None:
    services = Services(llm_settings=LLMSettings(
        llm_model="openai/smol", llm_api_base=proxy.url + "/v1", llm_retries=0,
        llm_max_tokens=12, llm_seed=7, llm_timeout=300))
    services.__dict__["kb"] = None  # no knowledge base: only the ticket travels
    rng = random.Random(18)
    tickets = [(value, template.format(disguise(value, rng))) for _, value, template in SEEDS]
    for _, text in tickets:
        answer = services.hosted_answerer().answer(text, None)
        assert answer.redactions, f"nothing redacted in {ascii(text)}"
    assert len(proxy.bodies) >= len(tickets)
    contents = [m["content"] for body in proxy.bodies if body.strip()
                for m in json.loads(body)["messages"]]
    sent = "\n".join(contents)
    for value, text in tickets:
        assert not leaked(value, sent), f"{value!r} reached the hosted model from {ascii(text)}"
    assert "[CARD_1]" in sent and "[IBAN_1]" in sent and "[EMAIL_1]" in sent
