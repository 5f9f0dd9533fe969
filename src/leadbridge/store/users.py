"""Dashboard users and the secrets leadbridge generates for itself."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store import sealed, web_sessions
from leadbridge.store.tables import AppSecret, DashboardUser
from leadbridge.store.upsert import insert_ignoring_conflict


class UserExists(ValueError):
    """A user of that name is already there."""


async def add_user(
    session: AsyncSession, *, name: str, role: str, password_hash: str, now: datetime
) -> DashboardUser:
    if await by_name(session, name) is not None:
        raise UserExists(f"user {name!r} already exists")
    user = DashboardUser(name=name, role=role, password_hash=password_hash, created_at=now)
    session.add(user)
    await session.flush()
    return user


async def by_name(session: AsyncSession, name: str) -> DashboardUser | None:
    statement = select(DashboardUser).where(DashboardUser.name == name)
    return (await session.scalars(statement)).one_or_none()


async def by_id(session: AsyncSession, user_id: int) -> DashboardUser | None:
    return await session.get(DashboardUser, user_id)


async def all_users(session: AsyncSession) -> Sequence[DashboardUser]:
    return (await session.scalars(select(DashboardUser).order_by(DashboardUser.name))).all()


async def set_password(session: AsyncSession, name: str, password_hash: str) -> bool:
    user = await by_name(session, name)
    if user is None:
        return False
    user.password_hash = password_hash
    # Whoever knew the old password may hold a session: every open one ends.
    await web_sessions.end_all_of(session, user.id)
    await session.flush()
    return True


async def remove_user(session: AsyncSession, name: str) -> bool:
    user = await by_name(session, name)
    if user is None:
        return False
    await web_sessions.end_all_of(session, user.id)
    await session.delete(user)
    await session.flush()
    return True


async def generated_secret(session: AsyncSession, name: str, now: datetime) -> str:
    """The secret stored under `name`, made on first use; every process then shares it.

    Stored sealed with the installed keys (`store/sealed.py`), so that a copy of the database
    alone does not give it away; a value stored plain or under an older key is sealed anew.
    """
    cipher = sealed.cipher()
    values = {"name": name, "value": cipher.seal(secrets.token_urlsafe(48)), "created_at": now}
    # Two processes starting at once: the first insert wins, both read the winner.
    await insert_ignoring_conflict(session, AppSecret, values, ["name"], returning="name")
    stored = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    assert stored is not None
    plain = cipher.open(stored)
    if not cipher.is_current(stored):
        await session.execute(
            update(AppSecret).where(AppSecret.name == name).values(value=cipher.seal(plain))
        )
    return plain
