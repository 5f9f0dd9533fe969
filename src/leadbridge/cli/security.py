"""`leadbridge users …` (dashboard users) and `leadbridge keys …` (encryption of tokens)."""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from leadbridge.cli.common import fail, load_settings, run_async
from leadbridge.security.roles import ROLES

if TYPE_CHECKING:
    from leadbridge.store.database import Database

T = TypeVar("T")
NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")

users_app = typer.Typer(
    help="Dashboard users: operator (leads, outbox), finance (settlements, statistics, no "
    "personal data), admin (everything).",
    no_args_is_help=True,
)
keys_app = typer.Typer(
    help="Keys that encrypt secrets in the database: OAuth tokens and the session key "
    "(security.token_keys; without it a generated key file, security.key_file).",
    no_args_is_help=True,
)


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="operator, finance or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user; the password is asked for (or read from stdin) and kept only as a hash."""
    if not NAME.fullmatch(name):
        fail("a user name is 1–64 letters, digits or . _ @ -")
    if role not in ROLES:
        fail(f"unknown role {role!r}: use {', '.join(ROLES)}")
    password_hash = _new_hash(_read_password(password_stdin))

    from leadbridge.store import users

    async def add(db: Database) -> None:
        async with db.transaction() as session:
            await users.add_user(
                session, name=name, role=role, password_hash=password_hash, now=_now()
            )

    _with_database(add)
    print(f"user {name} added ({role})")


@users_app.command("password")
def users_password(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password; the user's open sessions end."""
    password_hash = _new_hash(_read_password(password_stdin))

    from leadbridge.store import users

    async def change(db: Database) -> bool:
        async with db.transaction() as session:
            return await users.set_password(session, name, password_hash)

    if not _with_database(change):
        fail(f"no user {name!r}")
    print(f"password of {name} changed")


@users_app.command("list")
def users_list() -> None:
    """List users: name, role, when added."""
    from leadbridge.store import users

    async def rows(db: Database) -> list[str]:
        async with db.transaction() as session:
            found = await users.all_users(session)
        return [f"{u.name}\t{u.role}\t{u.created_at:%Y-%m-%d %H:%M}" for u in found]

    for line in _with_database(rows):
        print(line)


@users_app.command("remove")
def users_remove(name: str) -> None:
    """Remove a user; their open sessions end at once."""
    from leadbridge.store import users

    async def remove(db: Database) -> bool:
        async with db.transaction() as session:
            return await users.remove_user(session, name)

    if not _with_database(remove):
        fail(f"no user {name!r}")
    print(f"user {name} removed")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new key. Put it first in security.token_keys, keep the old ones after it."""
    from leadbridge.security.crypto import new_key

    print(new_key())


@keys_app.command("encrypt")
def keys_encrypt() -> None:
    """Encrypt a secret read from stdin with the first key, for the configuration: e.g.
    `amocrm.client_secret = "fernet:…"`. leadbridge opens it when it loads the settings."""
    settings = load_settings()
    # Not the generated key file: the configuration must open on every machine that reads it,
    # and that file is this machine's.
    if not settings.security.token_keys.get_secret_value().strip():
        fail("set security.token_keys first (`leadbridge keys generate`)")
    from leadbridge.store import sealed

    cipher = sealed.cipher()
    print(cipher.seal(sys.stdin.readline().rstrip("\r\n")))


@keys_app.command("reencrypt")
def keys_reencrypt() -> None:
    """Encrypt every stored token and the generated session key with the first key: plain
    values and values under older keys."""
    from leadbridge.store import tokens, users
    from leadbridge.web.auth.sessions import SECRET_NAME as SESSION_SECRET

    async def reseal(db: Database) -> int:
        async with db.transaction() as session:
            resealed = await tokens.reseal_tokens(session)
            await users.generated_secret(session, SESSION_SECRET, _now())
        return resealed

    print(f"tokens re-encrypted: {_with_database(reseal)}")


def _new_hash(password: str) -> str:
    from leadbridge.security.passwords import WeakPassword, hash_password

    try:
        return hash_password(password)
    except WeakPassword as error:
        fail(str(error))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    from sqlalchemy.exc import DBAPIError

    from leadbridge.store import users
    from leadbridge.store.database import Database

    settings = load_settings()

    async def run() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db)
        except users.UserExists as error:
            fail(str(error))
        except DBAPIError as error:
            fail(f"database not ready ({type(error.orig).__name__}): run `leadbridge db upgrade`")
        finally:
            await db.dispose()

    return run_async(run())


def _now() -> datetime:
    return datetime.now(UTC)
