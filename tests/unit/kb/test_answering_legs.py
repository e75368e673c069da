"""The answering legs with a scripted backend: modes, refusals, privacy, no store writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from router.answering.hosted import HostedAnswerer
from router.answering.local import LocalAnswerer
from router.answering.result import NO_COVER_REASON
from router.domain import Verdict
from router.guard.settings import PIISettings
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


def local(kb: KnowledgeBase | None, backend: Any = None, mode: str = "slm",
          settings: KBSettings | None = None) -> LocalAnswerer:
    return LocalAnswerer(settings or KBSettings(), kb, slm=(lambda: backend) if backend else None,
                         mode=mode)


@pytest.fixture
def kb(kb_url: str, tmp_path: Path, encoder: Any) -> KnowledgeBase:
    with unit_of_work(kb_url) as session:
        import_entries(session, ENTRIES, kb="default", source="test")
    with session_factory(kb_url)() as session:
        return KnowledgeBase.from_session(session, kb_dir=tmp_path, encoder=encoder,
                                          url=kb_url, refresh_seconds=0.0)


def test_slm_mode_grounds_the_prompt_and_verifies(kb: KnowledgeBase, scripted: Any) -> None:
    backend = scripted(f"{FILLED} <ticket>")
    res = local(kb, backend, "slm", KBSettings(top_k=1)).answer(TICKET, "cancel_order")
    prompt = backend.calls[0][-1]["content"]
    assert FILLED in prompt and "{{" not in prompt  # the filled approved answer, not raw
    assert res.mode == "slm" and res.passages[0].intent == "cancel_order"
    assert "<ticket>" not in res.draft.text  # echoed fences are dropped
    assert res.verdict.accepted, res.verdict.reasons
    assert res.similarity is not None and res.similarity > 0.9
    assert set(res.timings) == {"retrieve_ms", "draft_ms", "verify_ms"}


def test_slm_mode_rejects_invented_details(kb: KnowledgeBase, scripted: Any) -> None:
    backend = scripted("Call 0800 123 456 and we refund order 99999 at https://evil.example.")
    res = local(kb, backend).answer(TICKET, "cancel_order")
    assert not res.verdict.accepted
    assert any(r.startswith("unsupported") for r in res.verdict.reasons)


def test_template_keeps_the_filled_answer_when_rephrasing_is_rejected(
    kb: KnowledgeBase, scripted: Any
) -> None:
    backend = scripted("Your order 77777 is cancelled and refunded.")
    res = local(kb, backend, "template", KBSettings(template_rephrase=True)).answer(
        TICKET, "cancel_order")
    assert res.draft.backend == "template"
    assert res.draft.text == FILLED
    assert res.verdict.accepted, res.verdict.reasons
    assert res.draft.meta["rephrase_rejected"]


def test_template_uses_an_accepted_rephrasing(kb: KnowledgeBase, scripted: Any) -> None:
    backend = scripted(FILLED.replace("To cancel", "If you want to cancel"))
    res = local(kb, backend, "template", KBSettings(template_rephrase=True)).answer(
        TICKET, "cancel_order")
    assert res.draft.backend == "slm" and res.verdict.accepted
    assert res.draft.text.startswith("If you want to cancel order 55123")


def test_template_without_rephrase_never_calls_the_model(
    kb: KnowledgeBase, scripted: Any
) -> None:
    backend = scripted("unused")
    res = local(kb, backend, "template", KBSettings(template_rephrase=False)).answer(
        TICKET, "cancel_order")
    assert backend.calls == [] and res.draft.text == FILLED


def test_without_a_knowledge_base_nothing_is_drafted(scripted: Any) -> None:
    backend = scripted("We can help with that.")
    res = local(None, backend, "slm").answer(TICKET, "cancel_order")
    assert res.passages == () and res.draft.text == "" and backend.calls == []
    assert not res.verdict.accepted
    assert res.verdict.reasons[0].startswith(NO_COVER_REASON)


def test_slm_no_kb_checks_entities_against_the_ticket_only(
    kb: KnowledgeBase, scripted: Any
) -> None:
    res = local(kb, scripted("Order 55123 ships in 3 to 5 business days."), "slm-no-kb").answer(
        TICKET, "cancel_order")
    assert res.passages == () and res.similarity is None
    assert "unsupported number: 3" in res.verdict.reasons  # only the passage says 3 to 5


def test_unknown_mode_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="unknown local answer mode"):
        LocalAnswerer(KBSettings(), kb, mode="magic")


def test_a_verdict_cannot_say_accepted_while_listing_a_reason() -> None:
    with pytest.raises(TypeError):
        Verdict(accepted=True, score=1.0, reasons=("no approved answer",))  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Verdict(True, 0.9)  # type: ignore[arg-type]  # the old positional form
    verdict = Verdict(score=0.9, reasons=("unsupported number: 3",))
    assert not verdict.accepted and Verdict(score=0.9).accepted
    with pytest.raises(AttributeError):
        verdict.accepted = True  # type: ignore[misc]  # derived, not stored


def test_answering_never_writes_to_the_store(
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
            local(kb, scripted(FILLED), mode, fast).answer(TICKET, "cancel_order")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "SELECT" in statements  # the refresh check did reach the database
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)


def test_hosted_leg_redacts_ticket_and_passages_and_restores_the_reply(
    kb: KnowledgeBase, scripted: Any
) -> None:
    def reply(messages: list[dict[str, str]]) -> str:
        placeholder = messages[-1]["content"].split("write to ", 1)[1].split()[0]
        return f"We will write to {placeholder} about order 55123."

    backend = scripted(reply)
    res = HostedAnswerer(KBSettings(), kb, backend, pii=PIISettings()).answer(
        f"{TICKET}; write to jane.doe@example.com please", "cancel_order")
    prompt = backend.calls[0][-1]["content"]
    assert "jane.doe@example.com" not in prompt and "[EMAIL_1]" in prompt
    assert res.prompt_passages and all(p in prompt for p in res.prompt_passages)
    assert "jane.doe@example.com" in res.draft.text
    assert res.draft.meta["redactions"] == {"EMAIL": 1} == res.redactions


def test_hosted_leg_never_sends_back_a_full_card_number(kb: KnowledgeBase, scripted: Any) -> None:
    """Issue 11: "… more details about your card here: 4111 1111 1111 1111" was accepted."""
    backend = scripted("Please find more details about your card here: [CARD_1]")
    res = HostedAnswerer(KBSettings(), kb, backend, pii=PIISettings()).answer(
        "My card 4111 1111 1111 1111 was charged twice for order 55123", "cancel_order")
    assert "4111 1111 1111 1111" not in backend.calls[0][-1]["content"]
    assert "4111" not in res.draft.text and "•••• •••• •••• 1111" in res.draft.text
    assert not any("sensitive value" in r for r in res.verdict.reasons)


def test_local_leg_masks_a_card_the_model_copied_from_the_ticket(
    kb: KnowledgeBase, scripted: Any
) -> None:
    backend = scripted(f"{FILLED} The card 4111 1111 1111 1111 was not charged.")
    res = local(kb, backend, "slm").answer(
        f"{TICKET}. My card is 4111 1111 1111 1111", "cancel_order")
    assert "4111 1111 1111 1111" not in res.draft.text and "1111 was not" in res.draft.text
    assert res.masked == {"CARD": 1}


def test_a_knowledge_base_that_fails_to_load_is_an_error(tmp_path: Path) -> None:
    from router.pipeline.services import KnowledgeBaseError, Services

    services = Services(database_url=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    with pytest.raises(KnowledgeBaseError, match="knowledge base failed to load"):
        services.local_answerer()
