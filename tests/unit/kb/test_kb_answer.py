"""grounded_answer with a scripted backend: modes, fallbacks, and no writes to the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from router.kb.answer import NO_KB_REASON, grounded_answer
from router.kb.importers import EntryData, import_entries
from router.kb.retrieve import KnowledgeBase
from router.kb.settings import KBSettings
from router.store.db import get_engine, session_factory, unit_of_work

CANCEL = ("To cancel order {{Order Number}}, open My Account > Orders and click Cancel order. "
          "Details are at https://help.northwind.example/returns.")
ENTRIES = [
    EntryData("1", "Please cancel order {{Order Number}}", CANCEL, intent="cancel_order"),
    EntryData("2", "How long does shipping take?",
              "Standard shipping takes 3 to 5 business days.", intent="shipping_time"),
]
TICKET = "Please cancel order 55123, I ordered the wrong size"
FILLED = CANCEL.replace("{{Order Number}}", "55123")


@pytest.fixture
def kb(kb_url: str, tmp_path: Path, encoder: Any) -> KnowledgeBase:
    with unit_of_work(kb_url) as session:
        import_entries(session, ENTRIES, kb="default", source="test")
    with session_factory(kb_url)() as session:
        return KnowledgeBase.from_session(session, kb_dir=tmp_path, encoder=encoder,
                                          url=kb_url, refresh_seconds=0.0)


def test_slm_mode_grounds_the_prompt_and_verifies(kb: KnowledgeBase, scripted: Any) -> None:
    backend = scripted(f"{FILLED} <ticket>")
    res = grounded_answer(TICKET, intent="cancel_order", kb=kb, mode="slm", backend=backend,
                          settings=KBSettings(top_k=1))
    prompt = backend.calls[0][-1]["content"]
    assert FILLED in prompt and "{{" not in prompt  # the filled approved answer, not raw
    assert res.mode == "slm" and res.passages[0].intent == "cancel_order"
    assert "<ticket>" not in res.draft.text  # echoed fences are dropped
    assert res.verdict.accepted, res.verdict.reasons
    assert res.similarity is not None and res.similarity > 0.9
    assert set(res.timings) == {"retrieve_ms", "draft_ms", "verify_ms"}


def test_slm_mode_rejects_invented_details(kb: KnowledgeBase, scripted: Any) -> None:
    backend = scripted("Call 0800 123 456 and we refund order 99999 at https://evil.example.")
    res = grounded_answer(TICKET, intent="cancel_order", kb=kb, backend=backend)
    assert not res.verdict.accepted
    assert any(r.startswith("unsupported") for r in res.verdict.reasons)


def test_template_keeps_the_filled_answer_when_rephrasing_is_rejected(
    kb: KnowledgeBase, scripted: Any
) -> None:
    backend = scripted("Your order 77777 is cancelled and refunded.")
    res = grounded_answer(TICKET, intent="cancel_order", kb=kb, mode="template",
                          backend=backend)
    assert res.draft.backend == "template"
    assert res.draft.text == FILLED
    assert res.verdict.accepted, res.verdict.reasons
    assert res.draft.meta["rephrase_rejected"]


def test_template_uses_an_accepted_rephrasing(kb: KnowledgeBase, scripted: Any) -> None:
    backend = scripted(FILLED.replace("To cancel", "If you want to cancel"))
    res = grounded_answer(TICKET, intent="cancel_order", kb=kb, mode="template",
                          backend=backend)
    assert res.draft.backend == "slm" and res.verdict.accepted
    assert res.draft.text.startswith("If you want to cancel order 55123")


def test_template_without_rephrase_never_calls_the_model(
    kb: KnowledgeBase, scripted: Any
) -> None:
    backend = scripted("unused")
    res = grounded_answer(TICKET, intent="cancel_order", kb=kb, mode="template",
                          backend=backend, settings=KBSettings(template_rephrase=False))
    assert backend.calls == [] and res.draft.text == FILLED


def test_no_kb_degrades_to_ungrounded_with_a_reason(scripted: Any) -> None:
    backend = scripted("We can help with that.")
    res = grounded_answer(TICKET, intent="cancel_order", kb=None, mode="slm", backend=backend)
    assert res.mode == "slm-no-kb" and res.passages == []
    assert NO_KB_REASON in res.verdict.reasons
    assert "My Account" not in backend.calls[0][-1]["content"]


def test_slm_no_kb_checks_entities_against_the_ticket_only(
    kb: KnowledgeBase, scripted: Any
) -> None:
    res = grounded_answer(TICKET, intent="cancel_order", kb=kb, mode="slm-no-kb",
                          backend=scripted("Order 55123 ships in 3 to 5 business days."))
    assert res.passages == [] and res.similarity is None
    assert "unsupported number: 3" in res.verdict.reasons  # only the passage says 3 to 5


def test_unknown_mode_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="unknown answer mode"):
        grounded_answer(TICKET, intent=None, kb=kb, mode="magic")


def test_grounded_answer_never_writes_to_the_store(
    kb: KnowledgeBase, kb_url: str, scripted: Any
) -> None:
    statements: list[str] = []
    engine = get_engine(kb_url)

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        fast = KBSettings(refresh_seconds=0.0001)
        kb._refresh_seconds = fast.refresh_seconds  # make it read SQL during the call
        kb._checked_at = 0.0
        for mode in ("slm", "template", "slm-no-kb"):
            grounded_answer(TICKET, intent="cancel_order", kb=kb, mode=mode,
                            backend=scripted(FILLED), settings=fast)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "SELECT" in statements  # the refresh check did reach the database
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)


def test_llm_mode_redacts_the_ticket_and_restores_the_reply(
    kb: KnowledgeBase, scripted: Any
) -> None:
    def reply(messages: list[dict[str, str]]) -> str:
        placeholder = messages[-1]["content"].split("write to ", 1)[1].split()[0]
        return f"We will write to {placeholder} about order 55123."

    backend = scripted(reply)
    res = grounded_answer(f"{TICKET}; write to jane.doe@example.com please",
                          intent="cancel_order", kb=kb, mode="llm", backend=backend)
    assert "jane.doe@example.com" not in backend.calls[0][-1]["content"]
    assert "jane.doe@example.com" in res.draft.text
    assert res.draft.meta["redactions"] == {"EMAIL": 1}
