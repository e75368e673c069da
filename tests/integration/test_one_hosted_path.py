"""One hosted-answer path: the CLI, the benchmark and the pipeline send the same request.

Issue 10: ``eval-answers --mode llm`` used to send approved answers filled with the
customer's name and e-mail while the pipeline redacted them, so the benchmark measured code
that never shipped. Here one ticket goes through ``deskroute answer --route llm``,
``eval-answers --mode llm`` and the pipeline's hosted leg (webhook → worker) against a real
OpenAI-compatible server behind a capturing proxy on loopback; the three request bodies must
carry the same redacted approved passages and none of the customer's values.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from router.pipeline.services import reset_default_services
from tests.helpers_http import CapturingProxy, RecordingServer
from tests.integration.pipeline_env import configure, post, seed_kb

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
TICKET = ("I want to cancel my order 55123. Reply to jane.doe@example.com or call "
          "+44 20 7946 0958.")
RAW = ["jane.doe@example.com", "+44 20 7946 0958"]
_APPROVED_RE = re.compile(r"Approved answer: (.*?)\n\nCustomer message", re.S)


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    reset_default_services(None)
    yield
    reset_default_services(None)


def _user_messages(bodies: list[bytes]) -> list[str]:
    return [m["content"] for b in bodies if b.strip()
            for m in json.loads(b)["messages"] if m["role"] == "user"]


def _cli(app: Any, args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_cli_benchmark_and_pipeline_send_the_same_redacted_passages(
        sqlite_url: str, tmp_path: Path, llama_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from router.api.app import create_app
    from router.cli.kb_cmds import app as kb_app
    from router.cli.main import app as main_app
    from router.worker.runner import drain

    policy = tmp_path / "all-to-llm.yaml"
    policy.write_text("name: all-to-llm\nmin_confidence: 1.0\nno_llm_route: human\n")
    with RecordingServer() as callback, \
            CapturingProxy(llama_server.removesuffix("/v1")) as proxy:
        configure(monkeypatch, sqlite_url, callback.url, tmp_path,
                  DESKROUTE_POLICY=str(policy), DESKROUTE_LLM_MODEL="openai/smol",
                  DESKROUTE_LLM_API_BASE=proxy.url + "/v1", DESKROUTE_LLM_SEED="7",
                  DESKROUTE_LLM_MAX_TOKENS="24", DESKROUTE_LLM_RETRIES="0",
                  DESKROUTE_LLM_TIMEOUT="300")
        seed_kb(sqlite_url)

        # 1. deskroute answer --route llm (the operator's view)
        out = json.loads(_cli(main_app, ["answer", TICKET, "--route", "llm", "--json"]))
        assert out["backend"] == "llm", out.get("error")
        cli_bodies = list(proxy.bodies)

        # 2. eval-answers --mode llm on the same approved answers and the same intent
        test_csv = tmp_path / "one.csv"
        with test_csv.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["text", "intent", "response"],
                                      [TICKET, out["intent"], "We have cancelled it."]])
        reset_default_services(None)
        _cli(kb_app, ["eval-answers", "--kb", str(ROOT / "router" / "data" / "shop_kb.csv"),
                      "--test", str(test_csv), "--mode", "llm", "--json"])
        eval_bodies = proxy.bodies[len(cli_bodies):]

        # 3. the pipeline's hosted leg: webhook → decide → llm → deliver
        reset_default_services(None)
        configure(monkeypatch, sqlite_url, callback.url, tmp_path,
                  DESKROUTE_POLICY=str(policy), DESKROUTE_LLM_MODEL="openai/smol",
                  DESKROUTE_LLM_API_BASE=proxy.url + "/v1", DESKROUTE_LLM_SEED="7",
                  DESKROUTE_LLM_MAX_TOKENS="24", DESKROUTE_LLM_RETRIES="0",
                  DESKROUTE_LLM_TIMEOUT="300")
        before = len(proxy.bodies)
        with TestClient(create_app(database_url=sqlite_url, embedded_worker=False)) as client:
            tid = post(client, {"id": "one-path", "body": TICKET})
            drain(url=sqlite_url)
            view = client.get(f"/tickets/{tid}").json()
        pipeline_bodies = proxy.bodies[before:]
    assert view["decision"]["route"] == "llm", view["decision"]
    assert any(d["backend"] == "llm" for d in view["drafts"]), view

    runs = {"cli": _user_messages(cli_bodies), "eval": _user_messages(eval_bodies),
            "pipeline": _user_messages(pipeline_bodies)}
    for name, users in runs.items():
        assert len(users) == 1, (name, len(users))
    passages = {name: _APPROVED_RE.findall(users[0]) for name, users in runs.items()}
    assert passages["cli"] and passages["cli"][0].strip(), runs["cli"][0]
    assert passages["cli"] == passages["eval"] == passages["pipeline"], passages
    assert len({users[0] for users in runs.values()}) == 1  # the whole prompt, in fact
    sent = b"\n".join(proxy.bodies).decode()
    for value in RAW:
        assert value not in sent
    assert "[EMAIL_1]" in sent and "[PHONE_1]" in sent
