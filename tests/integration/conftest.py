"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from router.kb.retrieve import KnowledgeBase


@pytest.fixture(scope="module")
def shop_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The bundled shop knowledge base, imported into a store of the module's own."""
    from router.kb.importers import ensure_default_kb
    from router.store.db import session_factory, unit_of_work
    from router.store.migrate import upgrade

    folder = tmp_path_factory.mktemp("shop-kb")
    url = f"sqlite:///{folder / 'kb.db'}"
    upgrade(url)
    with unit_of_work(url) as session:
        assert ensure_default_kb(session) >= 30
    with session_factory(url)() as session:
        return KnowledgeBase.from_session(session, kb_dir=folder)
