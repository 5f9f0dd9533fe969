"""Apply Alembic migrations from code: `leadbridge db upgrade`, and `demo`/`run` at start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from leadbridge.store.database import driver_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    url = driver_url(database_url, asynchronous=False).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be used: unreachable, refusing us, or no URL we know. The
    message names it, password masked, and says what went wrong, in one line."""


def masked(database_url: str) -> str:
    """The URL as it may be printed: its password as `***`."""
    return make_url(database_url).render_as_string(hide_password=True)


def upgrade(database_url: str, revision: str = "head") -> None:
    """Every command's first touch of the database (the migrations), so where a database that
    cannot be reached is reported."""
    try:
        config = alembic_config(database_url)
    except ArgumentError as error:
        raise DatabaseUnavailable(
            "database_url is no database URL: write sqlite:///FILE or postgresql://…"
        ) from error
    except ValueError as error:
        raise DatabaseUnavailable(f"database {masked(database_url)}: {error}") from error
    try:
        command.upgrade(config, revision)
    except DBAPIError as error:
        if not error.connection_invalidated and not _at_connect(error):
            raise
        raise DatabaseUnavailable(
            f"database {masked(database_url)} unavailable: {_reason(error, database_url)}"
        ) from error


def _at_connect(error: DBAPIError) -> bool:
    """Whether the error came from opening the connection, not from a migration's statement."""
    return error.statement is None


def _reason(error: DBAPIError, database_url: str) -> str:
    lines = str(error.orig).strip().splitlines()
    reason = lines[0] if lines else type(error.orig).__name__
    password = make_url(database_url).password
    return reason.replace(password, "***") if password else reason


def current_revision(database_url: str) -> str | None:
    engine = create_engine(driver_url(database_url, asynchronous=False))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
