"""Running Alembic from code, and making sure a store is usable before a command touches it.

``deskroute db upgrade`` works from any directory: the Alembic environment ships inside the
package (``router/migrations`` once installed; the top-level ``migrations/`` folder in a
source checkout). The embedded default (a SQLite file) is migrated to head on first use;
any other store must be migrated by the operator, and commands say so in one line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from router.errors import StoreError
from router.settings import StoreSettings
from router.store.db import normalise_url

SUPPORTED = ("sqlite", "postgresql")


def migrations_dir() -> Path:
    """The installed ``router/migrations``, else the source checkout's ``migrations/``."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "migrations", here.parents[2] / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise StoreError("the deskroute migrations are missing from this installation; "
                     "reinstall the package")


def display(url: str) -> str:
    """The URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def check_url(url: str) -> str:
    """The normalised URL, or a one-line ``StoreError`` for a scheme deskroute cannot use."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r} (expected sqlite:///PATH or "
                         "postgresql://USER@HOST/DB)") from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise StoreError(f"unsupported database {backend!r} in {display(url)}: deskroute stores "
                         "tickets in SQLite (sqlite:///PATH) or PostgreSQL (postgresql://...)")
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise StoreError(f"folder {folder} for the SQLite store does not exist")
    return parsed.render_as_string(hide_password=False)


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(stdout=sys.stdout)  # the current stream (tests and CLIs swap it)
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url",
                        check_url(url or StoreSettings().database_url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return head or ""


def current_revision(url: str) -> str | None:
    """The store's revision (None: no deskroute tables yet); ``StoreError`` if unreachable."""
    normalised = check_url(url)
    connect_args = {"connect_timeout": 5} if normalised.startswith("postgresql") else {}
    engine = create_engine(normalised, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database at {display(url)}: {_first_line(exc)}") \
            from exc
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def upgrade(url: str | None = None, revision: str = "head") -> None:
    url = url or StoreSettings().database_url
    current_revision(url)  # one clear line when the database cannot be reached
    command.upgrade(alembic_config(url), revision)


def check(url: str | None = None) -> None:
    """Raise if the models and the migrations disagree (``alembic check``)."""
    command.check(alembic_config(url))


def ensure_ready(url: str | None = None, *, auto_migrate: bool | None = None) -> str:
    """Make sure the store is at head before a command uses it; returns the revision.

    ``auto_migrate`` None means: migrate the embedded SQLite default, never a server database
    (an operator upgrades those deliberately, with ``deskroute db upgrade``).
    """
    url = url or StoreSettings().database_url
    normalised = check_url(url)
    head = head_revision()
    current = current_revision(url)
    if current == head:
        return head
    migrate = normalised.startswith("sqlite") if auto_migrate is None else auto_migrate
    if migrate:
        command.upgrade(alembic_config(url), "head")
        return head
    state = "has no deskroute tables" if current is None else f"is at revision {current}"
    raise StoreError(f"the database at {display(url)} {state} (this version needs {head}): "
                     "run `deskroute db upgrade`")
