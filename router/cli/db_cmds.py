"""``deskroute db upgrade|check|current``."""

from __future__ import annotations

import typer

from router.cli.output import console, fail
from router.settings import StoreSettings

app = typer.Typer(no_args_is_help=True)

DbOpt = typer.Option(None, "--database-url", help="Override DESKROUTE_DATABASE_URL.")


@app.command("upgrade")
def upgrade(database_url: str | None = DbOpt, revision: str = "head") -> None:
    """Apply the migrations (SQLite and PostgreSQL run the same ones)."""
    from router.errors import StoreError
    from router.store import migrate

    url = database_url or StoreSettings().database_url
    try:
        migrate.upgrade(url, revision)
    except StoreError:
        raise
    except Exception as exc:  # alembic/DB errors: show the cause, not a traceback
        fail(f"migration failed on {migrate.display(url)}: {exc}")
    console.print(f"database at [bold]{migrate.display(url)}[/] is at revision "
                  f"{migrate.current_revision(url)}")


@app.command("check")
def check(database_url: str | None = DbOpt) -> None:
    """Fail if the models and the migrations disagree (run after `db upgrade`)."""
    from router.errors import StoreError
    from router.store import migrate

    try:
        migrate.check(database_url)
    except StoreError:
        raise
    except Exception as exc:
        fail(f"models and migrations disagree: {exc}", code=1)
    console.print("models and migrations agree")


@app.command("current")
def current(database_url: str | None = DbOpt) -> None:
    """Print the database's revision and the one this version needs (exit 1 if they differ)."""
    from router.store import migrate

    url = database_url or StoreSettings().database_url
    rev, head = migrate.current_revision(url), migrate.head_revision()
    where = migrate.display(url)
    if rev == head:
        console.print(f"{where}: revision {rev} (head)")
        return
    state = "no deskroute tables" if rev is None else f"revision {rev}"
    fail(f"{where}: {state}; this version needs {head}: run `deskroute db upgrade`", code=1)
