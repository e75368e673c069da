"""``deskroute kb list | show | edit | retire | restore`` on a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli.main import app


@pytest.fixture
def store(tmp_path: Path) -> str:
    from router.kb.importers import ensure_default_kb
    from router.store.db import unit_of_work
    from router.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    upgrade(url)
    with unit_of_work(url) as session:
        assert ensure_default_kb(session) == 30
    return url


def run(url: str, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["kb", *args, "--database-url", url])
    return res.exit_code, res.output


def listed(url: str, *args: str) -> dict:
    code, out = run(url, "list", "--json", *args)
    assert code == 0, out
    return json.loads(out)


def test_list_filters_by_words_intent_and_paging(store: str) -> None:
    everything = listed(store, "--limit", "1000")
    assert everything["total"] == 30 and len(everything["entries"]) == 30
    paypal = listed(store, "--q", "PayPal checkout")
    assert paypal["total"] >= 1
    assert all("paypal" in (e["question"] + e["answer"]).lower() for e in paypal["entries"])
    intent = everything["entries"][0]["intent"]
    by_intent = listed(store, "--intent", intent)
    assert by_intent["total"] >= 1 and {e["intent"] for e in by_intent["entries"]} == {intent}
    page = listed(store, "--limit", "5", "--offset", "5")
    assert [e["id"] for e in page["entries"]] == [e["id"] for e in everything["entries"][5:10]]


def test_retire_hides_an_entry_and_restore_brings_it_back(store: str) -> None:
    code, out = run(store, "retire", "3")
    assert code == 0 and "entry 3 retired" in out
    assert 3 not in [e["id"] for e in listed(store, "--limit", "100")["entries"]]
    with_retired = listed(store, "--retired", "--limit", "100")["entries"]
    assert [e["retired"] for e in with_retired if e["id"] == 3] == [True]
    code, out = run(store, "restore", "3", "--json")
    assert code == 0 and json.loads(out)["retired"] is False
    assert 3 in [e["id"] for e in listed(store, "--limit", "100")["entries"]]


def test_edit_changes_the_answer_and_show_prints_it(store: str) -> None:
    code, out = run(store, "edit", "2", "--answer", "Use the reset link on the sign-in page.",
                    "--json")
    assert code == 0, out
    assert json.loads(out)["answer"] == "Use the reset link on the sign-in page."
    code, out = run(store, "show", "2", "--json")
    assert json.loads(out)["answer"] == "Use the reset link on the sign-in page."
    assert json.loads(out)["updated_at"] is not None


@pytest.mark.parametrize(("args", "message"), [
    (("show", "999"), "entry 999 not found"),
    (("retire", "999"), "entry 999 not found"),
    (("edit", "2"), "nothing to change"),
    (("edit", "2", "--answer", "   "), "cannot be empty"),
])
def test_user_mistakes_are_one_line_and_exit_2(store: str, args: tuple[str, ...],
                                               message: str) -> None:
    code, out = run(store, *args)
    assert code == 2 and message in out and "Traceback" not in out
