"""The strict policy schema: each kind of mistake is refused with the file, line and key.

Acceptance of issue 10: ``deskroute policy check`` refuses an unknown top-level key, a
misspelt signal name, a route that is not slm/llm/human, ``min_confidence`` outside [0, 1]
and a bad regular expression, naming the key; ``serve`` and ``worker`` refuse to start with
such a policy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policies import DEFAULT_POLICY, PolicyError, load_policy, parse_policy
from policies.engine import evaluate
from policies.model import schema_json
from router.cli.main import app
from router.domain import PolicyInput, Prediction, Route, Signal

REPO = Path(__file__).resolve().parents[3]
GOOD = DEFAULT_POLICY.read_text(encoding="utf-8")

# (what is wrong, the edit to the shipped policy, the key the error must name)
MISTAKES = [
    ("unknown top-level key", ("escalate_signals:", "escalate_signal:"), "escalate_signal"),
    ("misspelt signal", ("  human_request: human", "  human_requets: human"),
     "escalate_signals.human_requets"),
    ("route not slm/llm/human", ("low_confidence_route: llm", "low_confidence_route: robot"),
     "low_confidence_route"),
    ("min_confidence above 1", ("min_confidence: calibrated", "min_confidence: 7"),
     "min_confidence"),
    ("min_confidence below 0", ("min_confidence: calibrated", "min_confidence: -0.1"),
     "min_confidence"),
    ("bad regular expression", ('pattern: "\\\\b(gdpr', 'pattern: "[gdpr'), "rules[0].pattern"),
]


def _broken(edit: tuple[str, str]) -> str:
    old, new = edit
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("what,edit,key", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_policy_check_refuses_each_mistake_naming_file_line_and_key(
    tmp_path: Path, what: str, edit: tuple[str, str], key: str
) -> None:
    text = _broken(edit)
    file = tmp_path / "shop.yaml"
    file.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", str(file)])
    assert result.exit_code == 1, result.output
    line = _line_of(text, edit[1].strip())
    assert f"{file}:{line}: {key}:" in result.output.replace("\n", ""), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.parametrize("what,edit,key", MISTAKES[:3], ids=[m[0] for m in MISTAKES[:3]])
def test_serve_and_worker_refuse_to_start_with_a_bad_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, what: str,
    edit: tuple[str, str], key: str,
) -> None:
    file = tmp_path / "shop.yaml"
    file.write_text(_broken(edit), encoding="utf-8")
    monkeypatch.setenv("DESKROUTE_POLICY", str(file))
    monkeypatch.setenv("DESKROUTE_BROKER_URL", "redis://127.0.0.1:1/0")  # never reached
    load_policy.cache_clear()
    result = CliRunner().invoke(app, [command])
    assert result.exit_code == 2, result.output
    out = result.output.replace("\n", "")
    assert "refusing to start with an invalid policy" in out and str(file) in out
    assert f": {key}:" in out


def test_the_misspelt_key_that_silently_disabled_escalation_is_now_refused() -> None:
    """The reproduced bug: ``escalate_signal:`` loaded, and no signal escalated."""
    with pytest.raises(PolicyError) as err:
        parse_policy(_broken(("escalate_signals:", "escalate_signal:")), source="p.yaml")
    assert "did you mean 'escalate_signals'?" in str(err.value)
    assert str(err.value).startswith("p.yaml:")


def test_every_problem_is_reported_in_line_order() -> None:
    text = "name: t\nmin_confidence: 2\nfollow_up: {after_escalaton: human}\nfoo: 1\n"
    with pytest.raises(PolicyError) as err:
        parse_policy(text, source="p.yaml")
    assert [p.split(": ")[0] for p in err.value.problems] == ["p.yaml:2", "p.yaml:3", "p.yaml:4"]
    assert "follow_up.after_escalaton: unknown key; did you mean 'after_escalation'?" in \
        err.value.problems[1]


@pytest.mark.parametrize("text,needle", [
    ("name: a\nname: b\n", "name: key given twice"),
    ("rules:\n  - {name: r, pattern: x, route: human}\n  - {name: r, pattern: y, route: llm}\n",
     "rule names must be unique"),
    ("rules: [{name: r, pattern: x, route: slm}]\n", "rules[0].route"),
    ("no_llm_route: llm\n", "no_llm_route"),
    ("signal_min_score: 1.5\n", "signal_min_score"),
    ("routine_intents: 3\n", "routine_intents"),
    ("escalate_signals: [anger]\n", "escalate_signals"),
    ("a: [\n", "invalid YAML"),
    ("- a\n", "a policy must be a YAML mapping"),
])
def test_other_mistakes_are_refused(text: str, needle: str) -> None:
    with pytest.raises(PolicyError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(text)


def test_a_missing_file_is_named() -> None:
    with pytest.raises(PolicyError, match=r"^/no/such/policy.yaml: policy file not found"):
        load_policy("/no/such/policy.yaml")


def test_the_shipped_policy_is_valid_and_typed() -> None:
    policy = load_policy()
    assert policy.name == "default"
    assert policy.signal_route("chargeback") is Route.HUMAN
    assert policy.signal_route("no_such_signal") is None
    assert policy.rules[0].pattern.search("Please honour my GDPR request")  # case-insensitive
    assert policy.confidence_override is None and policy.routine is None


def test_a_valid_policy_routes_as_written(tmp_path: Path) -> None:
    text = "escalate_signals: {anger: llm}\nmin_confidence: 0.2\n"
    policy = parse_policy(text)
    inp = PolicyInput(text="x", prediction=Prediction("order_status", 0.9),
                      signals=(Signal("anger", 0.9, "shouting"),), llm_available=True)
    assert evaluate(policy, inp, classifier_version="c", threshold=0.99).route is Route.LLM


def test_published_json_schema_is_current() -> None:
    """Regenerate with ``deskroute policy schema > docs/policy.schema.json``."""
    published = (REPO / "docs" / "policy.schema.json").read_text(encoding="utf-8")
    assert published == schema_json()


def test_schema_forbids_unknown_keys_and_lists_signals() -> None:
    schema = json.loads(schema_json())
    assert schema["additionalProperties"] is False
    assert "human_request" in schema["$defs"]["SignalName"]["enum"]
    assert schema["properties"]["min_confidence"]["anyOf"][1]["maximum"] == 1.0


def test_policy_check_json_reports_ok_and_problems(tmp_path: Path) -> None:
    ok = CliRunner().invoke(app, ["policy", "check", str(DEFAULT_POLICY), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    bad = tmp_path / "bad.yaml"
    bad.write_text("min_confidence: 7\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["policy", "check", str(bad), "--json"])
    body = json.loads(res.stdout)
    assert res.exit_code == 1 and body["ok"] is False
    assert body["problems"][0].startswith(f"{bad}:1: min_confidence:")
