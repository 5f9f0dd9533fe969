"""Avito's limiters for a process of the bridge: which methods Avito limits is the adapter's
knowledge (`avito/client.py`), where the limiters are kept is the runtime's."""

from __future__ import annotations

from leadbridge.avito.client import local_limiters, method_limits
from leadbridge.config import AvitoSettings
from leadbridge.ratelimit import DatabaseLimiter, RateLimiter
from leadbridge.store.database import Database


def shared_limiters(db: Database, settings: AvitoSettings) -> dict[str, RateLimiter]:
    """On PostgreSQL the limiters are kept in the database, so every worker sharing it stays
    within one limit. On SQLite, the embedded single-process setup, they stay in the process: a
    limiter's own write would queue behind a transaction that waits for the very request it
    limits."""
    return database_limiters(db, settings) if db.is_postgres else local_limiters(settings)


def database_limiters(db: Database, settings: AvitoSettings) -> dict[str, RateLimiter]:
    """Limiters kept in the database, one row per method."""
    return {
        key: DatabaseLimiter.per_second(db, f"avito:{key}", rps, margin_s=margin)
        for key, (rps, margin) in method_limits(settings).items()
    }
