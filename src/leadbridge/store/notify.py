"""PostgreSQL NOTIFY: wake other processes when work is queued.

`notify_in` runs inside the transaction that queues the work, so the notification is delivered
exactly when that work becomes visible (at commit), and never for work rolled back. On SQLite
there is one process; its wake-ups stay in memory and this is a no-op.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.upsert import dialect_name

PREFIX = "leadbridge_"


def channel(topic: str) -> str:
    """The channel of a topic; topics are fixed identifiers, never user input."""
    if not topic.replace("_", "").isalnum():
        raise ValueError(f"not a wake-up topic: {topic!r}")
    return PREFIX + topic


def topic_of(channel_name: str) -> str | None:
    return channel_name.removeprefix(PREFIX) if channel_name.startswith(PREFIX) else None


async def notify_in(session: AsyncSession, topic: str) -> None:
    if dialect_name(session) == "postgresql":
        await session.execute(select(func.pg_notify(channel(topic), "")))


def conninfo(url: str) -> str:
    """A libpq URL for psycopg from the `postgresql://…` the user configured."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
