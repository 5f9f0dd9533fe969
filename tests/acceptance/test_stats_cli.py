"""`leadbridge stats` as a person runs it, over the known data set of the statistics tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.acceptance.test_cli import _leadbridge, clean_env  # noqa: F401  (fixture)
from tests.integration.store.test_statistics_queries import load

pytestmark = pytest.mark.anyio


async def test_stats_prints_tables_and_json_and_refuses_a_bad_week(
    clean_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    await (await load(clean_env["LEADBRIDGE_DATABASE_URL"])).dispose()

    tables = _leadbridge("stats", env=clean_env, cwd=tmp_path)
    as_json = _leadbridge("stats", "--week", "2026-W19", "--json", env=clean_env, cwd=tmp_path)
    bad = _leadbridge("stats", "--week", "2026-19", env=clean_env, cwd=tmp_path)

    assert tables.returncode == 0, tables.stderr
    assert tables.stdout.startswith("Conversion statistics, all requests: 6\n")
    rows = [line.split() for line in tables.stdout.splitlines()]
    assert ["Казань", "3", "1", "1", "33.3"] in rows
    assert ["2", "50000.00", "51000.00", "98.0", "-500.00", "1", "1"] in rows
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["week"] == "2026-W19"
    assert body["leads"] == 4
    assert body["weeks"] == [
        {"key": "2026-W19", "leads": 4, "bought_out": 1, "lost": 1, "rate": "25.0"}
    ]
    assert bad.returncode == 2
    assert bad.stderr.strip() == "leadbridge: error: not an ISO week like 2026-W18: '2026-19'"
