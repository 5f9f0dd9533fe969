from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import database


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that asks for it runs twice: on SQLite and on PostgreSQL."""
    with database(request.param, tmp_path) as url:
        yield url
