"""The demo's own database: the simulators start empty each run, so must the bridge's store.

SQLite: a fresh `leadbridge-demo.db` beside the configured file. PostgreSQL: a fresh database
named after the configured one with `_demo` appended, on the same server — the configured
database itself is never touched.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


@contextlib.asynccontextmanager
async def fresh_demo_database(configured_url: str) -> AsyncIterator[str]:
    url = make_url(configured_url)
    if url.get_backend_name() == "sqlite":
        yield _fresh_sqlite(Path(url.database or "leadbridge.db"))
        return
    name = f"{url.database or 'leadbridge'}_demo"
    admin = url.set(drivername="postgresql", database="postgres")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield url.set(database=name).render_as_string(hide_password=False)


def _fresh_sqlite(configured: Path) -> str:
    path = configured.with_name("leadbridge-demo.db")
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"
