from __future__ import annotations

from sqlalchemy import inspect

from router.store.db import get_engine
from router.store.migrate import check
from router.store.models import Base


def test_sqlite_migrations_create_every_model_table_and_match_models(sqlite_url: str) -> None:
    tables = set(inspect(get_engine(sqlite_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    check(sqlite_url)  # raises if alembic autogenerate finds a difference


def test_postgres_migrations_match_models(pg_url: str) -> None:
    tables = set(inspect(get_engine(pg_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    check(pg_url)
