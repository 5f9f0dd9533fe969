"""The rehearsal of Avito's breaking change against separate processes: `sandbox serve` and
`run` on PostgreSQL. Halfway through the requests every breaking switch goes on; the bridge keeps
acknowledging and quarantines; the operator restarts `run` with the mapping written for the
change and runs `leadbridge avito quarantine replay --all`. The promises are read from the
simulators' state, not from the bridge's tables: no request lost, each one deal, Avito's
statuses in the funnel's order."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from tests.acceptance.chaos_rig import (
    FUNNEL,
    Processes,
    bridge_env,
    send_requests,
    upgrade_database,
    wait_for,
    wait_for_provisioning,
    work_deals,
)
from tests.acceptance.processes import LEADBRIDGE, free_port, sandbox_serve
from tests.databases import postgres_database

from leadbridge.sandbox.api_break import MAPPING_AFTER_BREAK, after_break_mapping, lost_requests
from leadbridge.sandbox.invariants import check_invariants
from leadbridge.store.database import driver_url

LEADS = 40
SETTLE_S = 180.0
HELD_BACK = (
    "SELECT count(*) FROM inbox WHERE source = 'avito'"
    " AND quarantined_at IS NOT NULL AND replayed_at IS NULL"
)
pytestmark = [pytest.mark.long, pytest.mark.timeout(SETTLE_S + 300)]


def _held_back_once_settled(database_url: str, seconds: float = 60) -> int:
    """Events in quarantine once no more arrive (the webhook deliveries after the break)."""
    engine = create_engine(driver_url(database_url, asynchronous=False))
    deadline, counts = time.monotonic() + seconds, [-1]
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                counts.append(int(connection.execute(text(HELD_BACK)).scalar_one()))
            if counts[-1] > 0 and counts[-3:] == [counts[-1]] * 3:
                return counts[-1]
            time.sleep(1.0)
    finally:
        engine.dispose()
    raise AssertionError(f"the quarantine never settled: {counts}")


def _replay(env: dict[str, str], cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        [*LEADBRIDGE, "avito", "quarantine", "replay", "--all"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


def _states(credentials: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    avito = httpx.get(credentials["avito"]["base_url"] + "/sandbox/state", timeout=30).json()
    amocrm = httpx.get(credentials["amocrm"]["base_url"] + "/sandbox/state", timeout=30).json()
    return avito, amocrm


def _eventually_holds(credentials: dict[str, Any]) -> dict[str, Any]:
    names = after_break_mapping().wire.statuses.ours
    deadline = time.monotonic() + SETTLE_S
    while True:
        avito, amocrm = _states(credentials)
        result = check_invariants(
            avito_state=avito, amocrm_state=amocrm, funnel=FUNNEL, avito_names=names
        )
        result["lost"] = lost_requests(avito, amocrm, FUNNEL)
        result["avito_stats"] = avito["stats"]
        if (result["ok"] and result["lost"] == 0) or time.monotonic() > deadline:
            return result
        time.sleep(2)


def test_a_breaking_change_loses_nothing_once_the_mapping_follows_and_the_replay_runs(
    tmp_path: Path,
) -> None:
    port = free_port()
    with sandbox_serve(tmp_path) as credentials, postgres_database() as url:
        processes = Processes(bridge_env(credentials, url, port), tmp_path)
        fixed = {**processes.env, "LEADBRIDGE_AVITO__MAPPING_FILE": str(MAPPING_AFTER_BREAK)}
        avito_url = credentials["avito"]["base_url"]
        try:
            upgrade_database(processes.env, tmp_path)
            before = processes.start("run")
            wait_for(f"http://127.0.0.1:{port}/healthz")
            wait_for_provisioning(credentials["amocrm"]["base_url"])

            async def rehearse() -> tuple[int, dict[str, Any]]:
                arrived = asyncio.Event()
                requests = asyncio.create_task(
                    send_requests(avito_url, LEADS, arrived, at=LEADS // 2)
                )
                managers = asyncio.create_task(work_deals(credentials["amocrm"]["base_url"], LEADS))
                await arrived.wait()
                async with httpx.AsyncClient(base_url=avito_url) as client:
                    switched = await client.post("/sandbox/evolution", json={"breaking": True})
                    switched.raise_for_status()
                await requests
                held = await asyncio.to_thread(_held_back_once_settled, url)
                # The operator: the fixed mapping in force by a restart, then the replay.
                assert await asyncio.to_thread(processes.stop, before) == 0
                processes.env = fixed
                processes.start("run")
                await asyncio.to_thread(wait_for, f"http://127.0.0.1:{port}/healthz")
                report = await asyncio.to_thread(_replay, fixed, tmp_path)
                await managers
                return held, report

            held, report = asyncio.run(rehearse())
            result = _eventually_holds(credentials)
        finally:
            processes.close()

    assert result["ok"], json.dumps(result["invariants"], ensure_ascii=False)[:3000]
    assert result["lost"] == 0
    assert result["invariants"]["one_deal_per_request"]["checked"] == LEADS
    assert held > 0
    assert report["replayed"] >= held
    # A held-back request became its deal through the replay or, where Avito did not see our
    # acknowledgement within its 2 s (a loaded machine), through its own redelivery after the
    # restart, read under the fixed mapping; never both (one deal per request, above). Which of
    # the two is timing: tests/integration/sync/test_avito_replay.py pins the replay's own.
    assert report["leads_created"] <= LEADS // 2
    assert report["still_quarantined"] == 0
    assert result["avito_stats"]["gone_total"] > 0  # statuses met the moved endpoint and waited
