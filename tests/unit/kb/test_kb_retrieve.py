"""Retrieval: the predicted intent wins, similarity orders, and the index repairs itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from router.kb.importers import EntryData, import_entries
from router.kb.index import index_paths
from router.kb.retrieve import KnowledgeBase, clear_cache
from router.kb.settings import KBSettings
from router.store.db import session_factory, unit_of_work

ENTRIES = [
    EntryData("1", "How long does shipping take?",
              "Standard shipping takes 3 to 5 business days.", intent="shipping_time"),
    EntryData("2", "When will my parcel arrive?",
              "Parcels arrive within 3 to 5 business days.", intent="shipping_time"),
    EntryData("3", "Where is my order?",
              "Track your order under My Account > Orders.", intent="order_status"),
    EntryData("4", "How do I reset my password?",
              "Use the reset link on the sign-in page.", intent="password_reset"),
]


def _seed(url: str, entries: list[EntryData] = ENTRIES) -> None:
    with unit_of_work(url) as session:
        import_entries(session, entries, kb="default", source="test")


def _kb(url: str, kb_dir: Path, encoder: Any) -> KnowledgeBase:
    with session_factory(url)() as session:
        return KnowledgeBase.from_session(session, kb_dir=kb_dir, encoder=encoder)


def test_similarity_without_intent(kb_url: str, tmp_path: Path, encoder: Any) -> None:
    _seed(kb_url)
    kb = _kb(kb_url, tmp_path, encoder)
    top = kb.retrieve("I forgot my password", None, k=1)
    assert [p.intent for p in top] == ["password_reset"]
    assert -1.0 <= top[0].score <= 1.0


def test_predicted_intent_is_preferred_over_a_closer_answer(
    kb_url: str, tmp_path: Path, encoder: Any
) -> None:
    _seed(kb_url)
    kb = _kb(kb_url, tmp_path, encoder)
    text = "How long does shipping take?"  # word for word an entry of shipping_time
    passages = kb.retrieve(text, "order_status", k=2)
    assert passages[0].intent == "order_status"
    # Only one order_status entry exists: the second slot falls back to global similarity.
    assert passages[1].question == text
    assert passages[1].score > passages[0].score


def test_unknown_intent_falls_back_to_similarity(
    kb_url: str, tmp_path: Path, encoder: Any
) -> None:
    _seed(kb_url)
    kb = _kb(kb_url, tmp_path, encoder)
    assert kb.retrieve("when does my parcel arrive", "no_such_intent", k=1)[0].intent == (
        "shipping_time")


def test_precomputed_query_vector_is_used(kb_url: str, tmp_path: Path, encoder: Any) -> None:
    _seed(kb_url)
    kb = _kb(kb_url, tmp_path, encoder)
    vec = encoder.encode(["I forgot my password"])[0]
    top = kb.retrieve("text that is ignored: shipping parcel arrive", None, k=1, query_vec=vec)
    assert top[0].intent == "password_reset"


def test_index_is_written_reused_and_rebuilt_when_stale(
    kb_url: str, tmp_path: Path, encoder: Any
) -> None:
    _seed(kb_url, ENTRIES[:2])
    _kb(kb_url, tmp_path, encoder)
    npy, manifest = index_paths(tmp_path, None, encoder.name)
    assert np.load(npy).shape[0] == 2
    # A tampered row proves reuse: an unchanged KB must not re-encode.
    matrix = np.load(npy)
    matrix[0] = 0.0
    np.save(npy, matrix)
    assert not _kb(kb_url, tmp_path, encoder).vectors[0].any()
    _seed(kb_url, ENTRIES[2:])  # SQL changed: new rows are encoded, the index grows
    kb = _kb(kb_url, tmp_path, encoder)
    assert len(kb) == 4 and len(json.loads(manifest.read_text())["ids"]) == 4
    # Another encoder's index is ignored rather than mixed in.
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "encoder": "other"}))
    assert _kb(kb_url, tmp_path, encoder).vectors[0].any()


def test_load_is_cached_and_refreshes_after_sql_changes(
    kb_url: str, tmp_path: Path, encoder: Any
) -> None:
    settings = KBSettings(dir=tmp_path, refresh_seconds=0.001)
    clear_cache()
    _seed(kb_url, ENTRIES[:1])
    kb = KnowledgeBase.load(kb_url, settings, encoder=encoder)
    assert KnowledgeBase.load(kb_url, settings) is kb
    assert len(kb) == 1
    _seed(kb_url, ENTRIES[3:])
    assert kb.retrieve("reset my password", None, k=1)[0].intent == "password_reset"
    assert len(kb) == 2
    clear_cache()


def test_empty_kb_returns_nothing(kb_url: str, tmp_path: Path, encoder: Any) -> None:
    kb = _kb(kb_url, tmp_path, encoder)
    assert len(kb) == 0
    assert kb.retrieve("anything", "order_status") == []
