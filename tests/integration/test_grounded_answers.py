"""Grounded answers with the real bundled SmolLM2 model, the real encoder and the verifier.

The unit tests script the model; these prove the real one produces drafts the verifier can
judge, that template mode sends the customer's own details, and that ``eval-answers`` runs end
to end on the Bitext data. Needs llama-cpp-python, the bundled GGUF and sentence-transformers.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from router.answering.local import LocalAnswerer
from router.backends.slm import get_slm
from router.domain import Verdict
from router.kb.retrieve import KnowledgeBase
from router.kb.settings import KBSettings
from router.kb.template import fill_template
from router.settings import ModelSettings

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
TICKETS = [
    ("Hi, I forgot my password and now I can't sign in", "password_reset", None),
    ("Please cancel order 55123, I ordered the wrong size. My name is Lisa Park",
     "cancel_order", "55123"),
    ("The lamp arrived with a cracked base, what should I do?", "damaged_item", None),
]


@pytest.fixture(scope="module", autouse=True)
def _real_models() -> Iterator[None]:
    for module in ("llama_cpp", "sentence_transformers"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed; install the project to run this")
    from router.settings import bundled_encoder_path, bundled_slm_path

    try:
        bundled_slm_path(), bundled_encoder_path()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKROUTE_SLM_MAX_TOKENS", "96")  # shorter drafts keep the test quick
        mp.delenv("DESKROUTE_LLM_MODEL", raising=False)
        yield


@pytest.mark.parametrize(("text", "intent", "order"), TICKETS)
def test_template_mode_sends_a_verified_answer(shop_kb: KnowledgeBase, text: str,
                                               intent: str, order: str | None) -> None:
    # (relevance is tested in tests/unit/kb/test_relevance.py; here: filling and rephrasing)
    kb = KBSettings(template_rephrase=True, min_relevance=0.0, min_intent_margin=-1.0)
    res = LocalAnswerer(kb, shop_kb, slm=lambda: get_slm(ModelSettings(), kb=kb),
                        mode="template").answer(text, intent)
    assert res.passages and res.passages[0].intent == intent
    assert isinstance(res.verdict, Verdict) and res.verdict.accepted, res.verdict.reasons
    assert res.draft.backend in {"template", "slm"}
    if res.draft.backend == "template":
        assert res.draft.text == fill_template(res.passages[0].answer, text)
        assert "rephrase_rejected" in res.draft.meta
    if order and res.draft.backend == "template" and "{{Order Number}}" in res.passages[0].answer:
        assert order in res.draft.text
    assert "{{" not in res.draft.text


@pytest.mark.parametrize(("text", "intent", "order"), TICKETS)
def test_slm_mode_drafts_are_judged(shop_kb: KnowledgeBase, text: str, intent: str,
                                    order: str | None) -> None:
    kb = KBSettings(min_relevance=0.0, min_intent_margin=-1.0)
    res = LocalAnswerer(kb, shop_kb, slm=lambda: get_slm(ModelSettings(), kb=kb),
                        mode="slm").answer(text, intent)
    assert res.mode == "slm" and res.draft.backend == "slm"
    assert res.draft.text and res.draft.completion_tokens > 0
    assert res.similarity is not None and -1.0 <= res.similarity <= 1.0
    assert res.verdict.accepted == (not res.verdict.reasons)
    assert res.latency_ms >= res.draft.latency_ms > 0


def _bitext_split(folder: Path) -> tuple[Path, Path]:
    """A small KB (8 answers per intent) and test rows from the rest, for a quick run."""
    source = DATA / "bitext" / "train.csv"
    if not source.is_file():
        pytest.skip(f"Bitext data not found at {source}")
    with source.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = list(reader.fieldnames or []), list(reader)
    seen: dict[str, int] = defaultdict(int)
    kb_rows: list[dict[str, str]] = []
    test_rows: list[dict[str, str]] = []
    for row in rows:
        seen[row["intent"]] += 1
        (kb_rows if seen[row["intent"]] <= 8 else test_rows).append(row)
    paths = folder / "kb.csv", folder / "test.csv"
    for path, part in zip(paths, (kb_rows, test_rows), strict=True):
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(part)
    return paths


def test_eval_answers_json_on_bitext(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from router.cli.kb_cmds import app

    monkeypatch.setenv("DESKROUTE_SLM_MAX_TOKENS", "48")  # wiring, not quality: keep it short

    kb, test = _bitext_split(tmp_path)
    args = ["eval-answers", "--kb", str(kb), "--test", str(test), "--limit", "3", "--json",
            "--mode", "slm", "--mode", "template", "--mode", "slm-no-kb"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["mode"] for r in rows] == ["slm", "template", "slm-no-kb"]
    for row in rows:
        assert {"mode", "similarity_mean", "accept_rate", "similarity_accepted",
                "similarity_rejected", "hallucination_rate", "p50_ms", "p95_ms", "n"} <= set(row)
        assert row["n"] == 3
        for key in ("similarity_mean", "similarity_accepted", "similarity_rejected"):
            assert row[key] is None or -1.0 <= row[key] <= 1.0, (key, row[key])
        assert 0.0 <= row["accept_rate"] <= 1.0 and 0.0 <= row["hallucination_rate"] <= 1.0
        assert 0.0 < row["p50_ms"] <= row["p95_ms"]
