"""Fixtures for the knowledge-base tests: a throw-away SQLite store, the real encoder and a
scripted generation backend (the real SLM runs in tests/integration)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from router.domain import Draft


@pytest.fixture
def kb_url(tmp_path: Path) -> str:
    """A SQLite store with every table created (what ``db upgrade`` would give)."""
    from router.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def encoder() -> Any:
    """The shared MiniLM encoder; retrieval and grounding tests mean nothing with a fake."""
    if importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("sentence_transformers is not installed; install the project to run this")
    from router.classify.embedder import get_encoder

    try:
        return get_encoder()
    except FileNotFoundError as exc:
        pytest.skip(f"bundled encoder missing: {exc}")


class ScriptedBackend:
    """Returns a fixed reply (or one computed from the prompt) and records every call."""

    name = "slm"

    def __init__(self, reply: str | Callable[[list[dict[str, str]]], str]) -> None:
        self._reply = reply
        self.calls: list[list[dict[str, str]]] = []

    @property
    def model(self) -> str:
        return "scripted"

    def generate(self, messages: list[dict[str, str]]) -> Draft:
        self.calls.append(messages)
        text = self._reply(messages) if callable(self._reply) else self._reply
        return Draft(backend=self.name, model=self.model, text=text, completion_tokens=20,
                     latency_ms=100.0, meta={"mean_logprob": -0.5})


@pytest.fixture
def scripted() -> type[ScriptedBackend]:
    return ScriptedBackend
