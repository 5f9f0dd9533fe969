"""The checks of this machine: the configuration loads, the database answers at the newest
schema, and the keys that seal stored secrets are there and open what they sealed.

Read-only: the database is not migrated and no key file is made here, although `run` does both
at start — the doctor says what is missing instead of making it.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from leadbridge.amocrm.tokens import PROVIDER as AMOCRM
from leadbridge.config import ConfigurationError, Settings
from leadbridge.doctor.checks import CheckFailed, one_line
from leadbridge.doctor.context import Context
from leadbridge.security import key_file
from leadbridge.security.crypto import SecretKeyError, TokenCipher
from leadbridge.security.settings_secrets import open_secrets
from leadbridge.store import sealed, tokens
from leadbridge.store.migrate import head_revision, masked

DATABASE = "database"
UPGRADE = "run `leadbridge db upgrade`"


async def configuration(ctx: Context) -> str:
    fix = (
        "correct it in the TOML file (--config, LEADBRIDGE_CONFIG) or its LEADBRIDGE_* "
        "environment variable"
    )
    try:
        settings = ctx.load_settings()
    except ConfigurationError as error:  # already one line naming the setting
        raise CheckFailed(one_line(error), fix) from None
    except (OSError, ValueError, KeyError) as error:  # a file it names: the funnel, the mapping
        raise CheckFailed(f"bad configuration: {one_line(error)}", fix) from None
    ctx.loaded = settings
    source = os.environ.get("LEADBRIDGE_CONFIG") or "environment only"
    funnel = settings.funnel
    return f"{source}; funnel {funnel.name!r}, {len(funnel.stages)} stages"


async def database(ctx: Context) -> str:
    url = ctx.settings.database_url
    shown = masked(url)
    file = _sqlite_file(url)
    if file is not None and not file.exists():
        # Connecting would create an empty file: say it is missing instead.
        raise CheckFailed(f"{shown}: no such file", f"{UPGRADE}, or correct database_url")
    try:
        async with ctx.db().transaction() as session:
            connection = await session.connection()
            revision = await connection.run_sync(_revision)
    except DBAPIError as error:
        raise CheckFailed(
            f"{shown} unreachable: {_reason(error, url)}",
            "start the database server, or correct database_url (host, port, user, password)",
        ) from None
    head = head_revision()
    if revision is None:
        raise CheckFailed(f"{shown} answers but is not migrated (no schema)", UPGRADE)
    if revision != head:
        raise CheckFailed(f"{shown} is at revision {revision}, this release needs {head}", UPGRADE)
    return f"{shown}, schema at the newest revision ({head})"


async def token_keys(ctx: Context) -> str:
    """The keys of `security.token_keys` and the key file; they must open the `fernet:` values
    of the configuration and, once the database answers, the stored amoCRM token."""
    settings = ctx.settings
    cipher, where = _keys(settings)
    try:
        open_secrets(settings, cipher)
    except SecretKeyError:
        raise CheckFailed(
            "an encrypted (fernet:) setting does not open with these keys",
            "put the key it was encrypted with in security.token_keys (`leadbridge keys "
            "encrypt` uses the first one)",
        ) from None
    if DATABASE not in ctx.passed:
        return f"{where}; the stored token was not checked (no database)"
    try:
        async with ctx.db().transaction() as session:
            stored = await tokens.token(session, AMOCRM)
    except SecretKeyError:
        opened_by = f"does not open with {where}" if cipher.enabled else f"is sealed, but {where}"
        raise CheckFailed(
            f"the stored amoCRM token {opened_by}",
            "restore the key file from your copy or put the key that sealed the token in "
            "security.token_keys; failing that, authorise again: `leadbridge auth amocrm --code`",
        ) from None
    opened = "the stored amoCRM token opens" if stored else "no token stored yet"
    return f"{where}; {opened}"


def _keys(settings: Settings) -> tuple[TokenCipher, str]:
    """The cipher of the configured keys and key file, installed for the database's sealed
    columns, and where the keys came from."""
    configured = settings.security.token_keys.get_secret_value().strip()
    path = settings.security.key_file or key_file.default_path(settings.database_url)
    fix_keys = "make one with `leadbridge keys generate`; each key is 32 url-safe base64 bytes"
    if not configured and not path.exists():
        # `key_file.resolve` would make the file now; `run` makes it at its first start, but
        # then nothing sealed under a lost key opens: the check of stored tokens tells.
        return sealed.use_keys(""), f"there is no key (security.token_keys unset, no {path})"
    try:
        keys = key_file.resolve(settings)  # the file exists or is not needed: nothing is made
        cipher = sealed.use_keys(keys.setting)
    except key_file.KeyFileError as error:
        raise CheckFailed(
            one_line(error), f"`chmod 600 {path}`, owned by leadbridge's user"
        ) from None
    except SecretKeyError as error:
        raise CheckFailed(one_line(error), fix_keys) from None
    except OSError as error:
        raise CheckFailed(
            f"key file {path}: {one_line(error)}", "make it readable to leadbridge's user"
        ) from None
    sources = ["security.token_keys"] if configured else []
    if keys.file is not None:
        sources.append(f"key file {keys.file}")
    return cipher, " and ".join(sources)


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def _reason(error: DBAPIError, url: str) -> str:
    """The driver's first line, the password masked (it may repeat the connection string)."""
    lines = str(error.orig).strip().splitlines()
    reason = lines[0] if lines else type(error.orig).__name__
    password = make_url(url).password
    return reason.replace(password, "***") if password else reason
