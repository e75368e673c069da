"""eval-answers figures and the kb CLI: sampling, summaries, JSON output, clean errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from router.cli.kb_cmds import app, kb_app
from router.kb.evaluate_answers import (
    EvalRow,
    Record,
    evaluate,
    read_test,
    stratified_sample,
    summarise,
)
from router.settings import Settings

KB_CSV = ("question,answer,intent\n"
          "How long does shipping take?,Standard shipping takes 3 to 5 business days.,ship\n"
          "How do I reset my password?,Use the reset link on the sign-in page.,password\n")
TEST_CSV = ("text,intent,category,response\n"
            "when will my parcel come,ship,S,Shipping takes 3 to 5 business days.\n"
            "forgot my password,password,A,Use the reset link on the sign-in page.\n")
KEYS = {"mode", "similarity_mean", "accept_rate", "similarity_accepted", "similarity_rejected",
        "hallucination_rate", "p50_ms", "p95_ms", "n"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_stratified_sample_spreads_over_intents() -> None:
    rows = [EvalRow(f"t{i}", "r", "a") for i in range(10)] + [EvalRow("u", "r", "b")]
    picked = stratified_sample(rows, 2, seed=1)
    assert {r.intent for r in picked} == {"a", "b"}
    assert stratified_sample(rows, 2, seed=1) == picked  # deterministic
    assert stratified_sample(rows, None, seed=1) == rows


def test_summarise_splits_accepted_and_rejected() -> None:
    recs = [Record("a", True, False, 600.0, 10, 500.0, True),
            Record("b", False, True, 1800.0, 30, 1500.0, False)]
    out = summarise("slm", recs, [0.8, 0.2])
    assert out["similarity_accepted"] == 0.8 and out["similarity_rejected"] == 0.2
    assert out["accept_rate"] == 0.5 and out["hallucination_rate"] == 0.5
    assert out["similarity_mean"] == 0.5 and out["tokens_per_s"] == 20.0
    assert out["p50_ms"] == 1200.0 and out["p50_overhead_ms"] == 200.0
    assert out["retrieval_intent_hit"] == 0.5


def test_read_test_accepts_qa_layout_and_refuses_others(tmp_path: Path) -> None:
    rows = read_test(write(tmp_path / "t.csv", "question,answer\nq,a\n"))
    assert rows == [EvalRow("q", "a", None)]
    with pytest.raises(ValueError, match="needs columns"):
        read_test(write(tmp_path / "bad.csv", "foo,bar\n1,2\n"))


def test_evaluate_grounded_beats_ungrounded(tmp_path: Path, encoder: Any, scripted: Any) -> None:
    kb, test = write(tmp_path / "kb.csv", KB_CSV), write(tmp_path / "test.csv", TEST_CSV)

    approved = ["Standard shipping takes 3 to 5 business days.",
                "Use the reset link on the sign-in page."]

    def echo_approved(messages: list[dict[str, str]]) -> str:
        """Repeat the approved answer found in the prompt (whatever its wording)."""
        content = messages[-1]["content"]
        found = [a for a in approved if a in content]
        return found[0] if found else "I am a bot and cannot help with that."

    backends = {m: scripted(echo_approved) for m in ("slm", "slm-no-kb", "template")}
    results = {r["mode"]: r for r in evaluate(kb, test, Settings.load(), modes=list(backends),
                                              backends=backends)}
    for row in results.values():
        assert KEYS <= set(row) and row["n"] == 2
    assert results["slm"]["similarity_mean"] > results["slm-no-kb"]["similarity_mean"] + 0.3
    assert results["slm"]["accept_rate"] == 1.0
    assert results["template"]["retrieval_intent_hit"] == 1.0


def test_kb_import_json_and_both_command_names(
    tmp_path: Path, kb_url: str, monkeypatch: pytest.MonkeyPatch, encoder: Any
) -> None:
    monkeypatch.setenv("DESKROUTE_KB_DIR", str(tmp_path / "index"))
    path = write(tmp_path / "kb.csv", KB_CSV)
    runner = CliRunner()
    res = runner.invoke(app, ["kb-import", str(path), "--database-url", kb_url, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["format"], out["added"], out["entries_total"]) == ("qa-csv", 2, 2)
    again = runner.invoke(kb_app, ["import", str(path), "--database-url", kb_url, "--json"])
    assert json.loads(again.stdout)["duplicates"] == 2
    assert list((tmp_path / "index").glob("*.npy"))


@pytest.mark.parametrize("args", [
    ["kb-import", "MISSING"],
    ["kb-import", "BAD"],
    ["eval-answers", "--kb", "BAD", "--test", "BAD"],
    ["eval-answers", "--kb", "BAD", "--test", "BAD", "--mode", "nope"],
])
def test_cli_errors_exit_2_without_traceback(tmp_path: Path, kb_url: str,
                                             args: list[str]) -> None:
    bad = write(tmp_path / "bad.csv", "foo,bar\n1,2\n")
    args = [str(bad) if a == "BAD" else str(tmp_path / "missing.csv") if a == "MISSING" else a
            for a in args]
    if args[0] == "kb-import":
        args += ["--database-url", kb_url]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    assert "Traceback" not in res.output and "error" in res.output.lower()
