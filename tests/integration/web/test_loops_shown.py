"""What the supervised loops of every process last did, as `/readyz`, `/metrics` and the
overview show it: a stalled loop of any live process is named, a killed process's rows are not
held against the others."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from tests.dashboard_site import Site, cells, served_site

from leadbridge.config import Settings
from leadbridge.domain.loop_health import LoopRecord
from leadbridge.store import heartbeats, tokens
from leadbridge.store.database import Database

pytestmark = pytest.mark.anyio


def _record(process: str, loop: str, *, silent_s: float, restarts: int = 0) -> LoopRecord:
    return LoopRecord(
        process=process,
        role="worker",
        loop=loop,
        period_s=1.0,
        state="restarting" if restarts else "running",
        restarts=restarts,
        last_pass_at=datetime.now(UTC) - timedelta(seconds=silent_s),
        last_error="OperationalError: connection refused" if restarts else None,
    )


async def _write(db: Database, process: str, records: list[LoopRecord], ago_s: float) -> None:
    async with db.transaction() as session:
        await heartbeats.write(
            session, process, records, datetime.now(UTC) - timedelta(seconds=ago_s)
        )


async def _with_token(site: Site) -> None:
    now = datetime.now(UTC)
    async with site.db.transaction() as session:
        await tokens.save_token(
            session, "amocrm", access_token="a", refresh_token="r", expires_at=now, now=now
        )


async def test_a_stalled_loop_makes_readyz_fail_and_shows_everywhere(database_url: str) -> None:
    async with served_site(Settings(database_url=database_url)) as site:
        await _with_token(site)
        healthy = [_record("w1", "relay", silent_s=0.5), _record("w1", "deals", silent_s=0.5)]
        await _write(site.db, "w1", healthy, ago_s=1)
        async with site.logged_in("olga") as (http, _):
            assert (await http.get("/readyz")).status_code == 200

            stalled = [_record("w2", "relay", silent_s=300, restarts=7)]
            await _write(site.db, "w2", stalled, ago_s=1)
            answer = await http.get("/readyz")
            metrics = (await http.get("/metrics")).text
            overview = (await http.get("/")).text

    assert answer.status_code == 503
    (reason,) = answer.json()["reasons"]
    assert reason.startswith("loop relay of worker w2 has not completed a pass for 30")
    assert "restarts: 7" in reason
    assert 'leadbridge_loop_restarts_total{loop="relay"} 7.0' in metrics
    silent = re.search(r'leadbridge_loop_last_pass_seconds\{loop="relay"\} (\S+)', metrics)
    assert silent
    assert float(silent.group(1)) >= 300
    rows = {(row[0], row[1]): row for row in cells(overview, "loops")}
    assert rows[("обработчик w2", "Статусы в Авито")][2] == "завис"
    assert rows[("обработчик w2", "Статусы в Авито")][4] == "7"
    assert rows[("обработчик w1", "Сделки в amoCRM")][2] == "работает"


async def test_a_killed_process_is_shown_gone_but_does_not_fail_readiness(
    database_url: str,
) -> None:
    async with served_site(Settings(database_url=database_url)) as site:
        await _with_token(site)
        await _write(site.db, "killed", [_record("killed", "relay", silent_s=120)], ago_s=120)
        await _write(site.db, "alive", [_record("alive", "relay", silent_s=0.5)], ago_s=1)
        async with site.logged_in("olga") as (http, _):
            ready = await http.get("/readyz")
            overview = (await http.get("/")).text

    assert ready.status_code == 200
    states = {row[0]: row[2] for row in cells(overview, "loops")}
    assert states == {"обработчик killed": "процесс не отвечает", "обработчик alive": "работает"}


async def test_a_clean_stop_takes_its_rows_and_old_ones_are_forgotten(database_url: str) -> None:
    async with served_site(Settings(database_url=database_url)) as site:
        await _write(site.db, "old", [_record("old", "relay", silent_s=7200)], ago_s=7200)
        await _write(site.db, "stopping", [_record("stopping", "relay", silent_s=1)], ago_s=1)
        async with site.db.transaction() as session:
            await heartbeats.remove(session, "stopping")
        await _write(site.db, "new", [_record("new", "relay", silent_s=0)], ago_s=0)
        async with site.db.transaction() as session:
            left = {record.process for record in await heartbeats.all_records(session)}

    assert left == {"new"}
