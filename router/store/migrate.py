"""Running Alembic from code, so ``deskroute db upgrade`` works from any directory."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from router.settings import StoreSettings
from router.store.db import normalise_url

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str | None = None) -> Config:
    if not (MIGRATIONS / "env.py").is_file():
        raise FileNotFoundError(f"migrations folder not found at {MIGRATIONS}")
    cfg = Config(stdout=sys.stdout)  # the current stream (tests and CLIs swap it)
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url or StoreSettings().database_url))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def check(url: str | None = None) -> None:
    """Raise if the models and the migrations disagree (``alembic check``)."""
    command.check(alembic_config(url))


def current(url: str | None = None) -> None:
    command.current(alembic_config(url), verbose=False)
