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
    # Speed of first contact, 15 minutes around the clock (no [routing]): lead 3 went past the
    # contact stage a day and an hour after it came; 4 was never called, 6 was lost after 2 h.
    first_contact = tables.stdout.split("First contact")[1].splitlines()
    header = "week deals contacted p50 p90 breaches waiting"
    assert first_contact[1].split() == header.split()
    assert [line.split() for line in first_contact[2:]] == [
        ["2026-W18", "2", "2", "1h", "3h", "2", "0"],
        ["2026-W19", "3", "1", "1d1h", "1d1h", "3", "0"],
    ]
    assert body["first_contact"] == [
        {
            "week": "2026-W19",
            "deals": 3,
            "contacted": 1,
            "waiting": 0,
            "breaches": 3,
            "p50_s": 90000.0,
            "p90_s": 90000.0,
        }
    ]
    assert bad.returncode == 2
    assert bad.stderr.strip() == "leadbridge: error: not an ISO week like 2026-W18: '2026-19'"
