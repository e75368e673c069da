"""Property: a ticket holding a value of every promised kind, each disguised with Unicode
spaces, zero-width and other invisible characters, soft hyphens and digits of other scripts,
goes through the real hosted leg with a real knowledge base, and no value reaches the hosted
model (issues 11 and 18).

Hypothesis picks one seed per kind (tests/pii_variants.py: card, IBAN, e-mail, phone, national
id, date of birth, address, postcode, passport number, and the requester's name), their order
and the disguise. The hosted leg retrieves approved answers from the bundled shop knowledge
base, so passages filled from the ticket travel too; every request body the capturing server on
loopback receives is searched, normalised (invisible characters and spaces removed). Each
example is a real model call, so few examples; the redaction boundary alone sees hundreds of
disguised values in tests/unit/guard/test_guard_pii_invisible.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import hypothesis
import pytest

from router.kb.retrieve import KnowledgeBase
from router.kb.settings import KBSettings
from router.pipeline.services import Services
from router.settings import LLMSettings
from tests.helpers_http import CapturingProxy
from tests.pii_variants import disguised_every_kind, leaked, name_leaked

pytestmark = pytest.mark.integration

QUESTION = "Where is my order? It has not arrived yet and I want to track it."


@pytest.fixture(scope="module")
def proxy(llama_server: str) -> Iterator[CapturingProxy]:
    with CapturingProxy(llama_server.removesuffix("/v1")) as p:
        yield p


@pytest.fixture(scope="module")
def services(proxy: CapturingProxy, shop_kb: KnowledgeBase) -> Services:
    s = Services(
        llm_settings=LLMSettings(llm_model="openai/smol", llm_api_base=proxy.url + "/v1",
                                 llm_retries=0, llm_max_tokens=4, llm_seed=7, llm_timeout=300),
        kb_settings=KBSettings(min_relevance=0.0, min_intent_margin=-1.0))  # passages always go
    s.__dict__["kb"] = shop_kb
    return s


@hypothesis.given(disguised_every_kind())
@hypothesis.settings(max_examples=40, deadline=None, database=None, print_blob=True,
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_disguised_values_of_every_kind_never_reach_the_hosted_llm(
    proxy: CapturingProxy, services: Services, ticket: tuple[list[tuple[str, str]], str, str]
) -> None:
    seeded, text, requester = ticket
    first = len(proxy.bodies)
    answer = services.hosted_answerer().answer(QUESTION + " " + text, None, requester=requester)
    assert answer.prompt_passages, "no approved passage was sent"
    bodies = [json.loads(b) for b in proxy.bodies[first:] if b.strip()]
    assert bodies, "nothing reached the capturing server"
    sent = "\n".join(m["content"] for body in bodies for m in body["messages"])
    leaks = [(kind, value) for kind, value in seeded
             if (name_leaked(value, sent) if kind == "NAME" else leaked(value, sent))]
    assert not leaks, (leaks, ascii(text), sent[-800:])
    missing = [kind for kind, _ in seeded if answer.redactions.get(kind, 0) < 1]
    assert not missing, (missing, ascii(text), answer.redactions)
