"""Dashboard users for tests: create one through the store, log in over HTTP like a browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from leadbridge.security.passwords import hash_password
from leadbridge.store import users
from leadbridge.store.database import Database

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


async def add_user(db: Database, name: str, role: str, *, password: str) -> None:
    async with db.transaction() as session:
        await users.add_user(
            session,
            name=name,
            role=role,
            password_hash=hash_password(password),
            now=datetime.now(UTC),
        )


def csrf_of(page: str) -> str:
    found = CSRF_INPUT.search(page)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def login(http: httpx.AsyncClient, name: str, password: str) -> str:
    """Log in through the login form; returns the session's CSRF token for later posts."""
    form = await http.get("/login")
    answer = await http.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert answer.status_code == 303, answer.text
    return csrf_of((await http.get("/login")).text)
