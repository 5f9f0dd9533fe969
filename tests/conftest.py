from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from tests.databases import database

# CI draws the same examples on every run, so that what lands does not depend on luck; a
# developer's runs keep exploring new ones (and whatever they find is saved by hypothesis).
# Neither has a deadline per example: a test asserts behaviour, not time (timings are the
# benchmarks'), and six workers on two cores make any example slow now and then.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "explore"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that asks for it runs twice: on SQLite and on PostgreSQL."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The `database_url` database, migrated to the newest schema, disposed of after the test."""
    upgrade(database_url)
    migrated = Database(database_url)
    yield migrated
    await migrated.dispose()
