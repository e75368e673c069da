"""``deskroute export distill``: which answers qualify, redaction, chat format."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from router.cli.main import app
from router.store import models as m
from router.store.db import unit_of_work

BODY = "Hi, I'm jane.doe@example.com, card 4111 1111 1111 1111. Where is order 88231?"
REPLY = "Hi jane.doe@example.com, your order ships within 2 days."


def _ticket(s, ext: str, intent: str, backend: str, meta: dict, outcome: str | None = None,
            body: str = BODY) -> int:  # type: ignore[no-untyped-def]
    t = m.Ticket(source="generic", external_id=ext, body=body, subject="Order",
                 state="delivered", meta={})
    s.add(t)
    s.flush()
    s.add(m.Decision(ticket_id=t.id, route="llm", intent=intent, confidence=0.5, reasons=[],
                     signals=[], policy_name="p", policy_hash="h", classifier_version="c"))
    s.add(m.DraftRow(ticket_id=t.id, backend=backend, model="openai/teacher", text=REPLY,
                     accepted=True, verifier={}, meta=meta))
    if outcome:
        s.add(m.Outcome(ticket_id=t.id, kind=outcome, source="test"))
    return t.id


def test_exports_only_clean_routine_llm_answers_redacted(sqlite_url: str, tmp_path: Path
                                                         ) -> None:
    with unit_of_work(sqlite_url) as s:
        kb = m.KBEntry(kb="default", source="x", ref="1", question="Where is my order?",
                       answer="Orders ship within 2 days; write to help@shop.example.",
                       intent="order_status", content_hash="h")
        s.add(kb)
        s.flush()
        good = _ticket(s, "good", "order_status", "llm", {"kb_entry_ids": [kb.id]})
        _ticket(s, "oos", "oos", "llm", {})
        _ticket(s, "overridden", "order_status", "llm", {}, outcome="agent_override")
        _ticket(s, "local", "order_status", "template", {})
    out = tmp_path / "sets" / "distill.jsonl"
    result = CliRunner().invoke(app, ["export", "distill", "--out", str(out), "--json",
                                      "--database-url", sqlite_url])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["examples"] == 1 and summary["redactions"]
    [line] = out.read_text().splitlines()
    example = json.loads(line)
    roles = [msg["role"] for msg in example["messages"]]
    assert roles == ["system", "user", "assistant"]
    user, answer = example["messages"][1]["content"], example["messages"][2]["content"]
    text = line
    assert "jane.doe@example.com" not in text and "4111" not in text
    assert "[EMAIL_1]" in user and "[EMAIL_1]" in answer  # one placeholder per value
    assert "Orders ship within 2 days" in user  # the approved passage used
    assert "dr-canary" not in text
    assert example["metadata"] == {"ticket_id": good, "intent": "order_status",
                                   "teacher": "openai/teacher", "kb_entry_ids": [kb.id]}


def test_export_refuses_a_folder_and_a_bad_window(sqlite_url: str, tmp_path: Path) -> None:
    folder = CliRunner().invoke(app, ["export", "distill", "--out", str(tmp_path),
                                      "--database-url", sqlite_url])
    assert folder.exit_code == 2 and "folder" in folder.output
    bad = CliRunner().invoke(app, ["export", "distill", "--out", str(tmp_path / "x.jsonl"),
                                   "--since", "soon", "--database-url", sqlite_url])
    assert bad.exit_code == 2 and "--since" in bad.output
