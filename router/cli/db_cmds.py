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
    from router.store import migrate

    url = database_url or StoreSettings().database_url
    try:
        migrate.upgrade(url, revision)
    except Exception as exc:  # alembic/DB errors: show the cause, not a traceback
        fail(f"migration failed on {url}: {exc}")
    console.print(f"database at [bold]{url}[/] is at revision {revision}")


@app.command("check")
def check(database_url: str | None = DbOpt) -> None:
    """Fail if the models and the migrations disagree (run after `db upgrade`)."""
    from router.store import migrate

    try:
        migrate.check(database_url)
    except Exception as exc:
        fail(f"models and migrations disagree: {exc}", code=1)
    console.print("models and migrations agree")


@app.command("current")
def current(database_url: str | None = DbOpt) -> None:
    """Print the database's current revision."""
    from router.store import migrate

    migrate.current(database_url)
