"""Chaos: the simulators misbehave in their own process while leadbridge runs as separate
processes that are killed midway; at the end every invariant of the design holds.

The lead count is LEADBRIDGE_CHAOS_LEADS (default small enough for CI).
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.acceptance.chaos_rig import (
    LEADS,
    Processes,
    bridge_env,
    bridge_view,
    eventually_invariants,
    send_requests,
    upgrade_database,
    wait_for,
    wait_for_provisioning,
    work_deals,
)
from tests.acceptance.processes import free_port, sandbox_serve
from tests.databases import postgres_database

SETTLE_S = 300.0  # after the managers are done: retries in backoff still arrive
# Arrival, the managers' work and the settling time, all growing with the lead count.
pytestmark = [pytest.mark.long, pytest.mark.timeout(SETTLE_S + 60 + LEADS * 3)]


@pytest.fixture
def chaotic_sandbox(tmp_path: Path) -> Iterator[dict[str, Any]]:
    midway_s = LEADS / 20 / 2  # halfway through the requests' arrival
    with sandbox_serve(tmp_path, extra=("--chaos-midway", str(midway_s))) as credentials:
        yield credentials


async def _traffic_with_kill(
    credentials: dict[str, Any], kill: Callable[[], None], restart: Callable[[], None]
) -> None:
    """All requests and the managers; a third of the way in `kill()`, a bit later `restart()`."""
    arrived = asyncio.Event()
    avito, amocrm = credentials["avito"]["base_url"], credentials["amocrm"]["base_url"]
    requests = asyncio.create_task(send_requests(avito, LEADS, arrived, at=max(LEADS // 3, 1)))
    managers = asyncio.create_task(work_deals(amocrm, LEADS))
    await arrived.wait()
    kill()
    await asyncio.sleep(2.0)
    restart()
    await asyncio.gather(requests, managers)


def _assert_all_hold(credentials: dict[str, Any], cwd: Path, database_url: str) -> None:
    result = eventually_invariants(
        credentials["avito"]["base_url"], credentials["amocrm"]["base_url"], SETTLE_S
    )
    if not result["ok"]:
        logs = "\n".join(path.read_text()[-1500:] for path in sorted(cwd.glob("*.log")))
        found = json.dumps(result["invariants"], ensure_ascii=False)[:3000]
        raise AssertionError(f"{found}\n{bridge_view(database_url, result)}\n{logs}")
    assert result["invariants"]["one_deal_per_request"]["checked"] == LEADS


def test_three_workers_on_postgres_two_killed_midway_hold_every_invariant(
    chaotic_sandbox: dict[str, Any], tmp_path: Path
) -> None:
    port = free_port()
    with postgres_database() as url:
        processes = Processes(bridge_env(chaotic_sandbox, url, port), tmp_path)
        try:
            upgrade_database(processes.env, tmp_path)
            processes.start("web")
            wait_for(f"http://127.0.0.1:{port}/healthz")
            first = processes.start("worker")
            # One worker provisions amoCRM before the others start.
            wait_for_provisioning(chaotic_sandbox["amocrm"]["base_url"])
            workers = [first, processes.start("worker"), processes.start("worker")]

            def kill() -> None:
                for worker in workers[:2]:
                    worker.send_signal(signal.SIGKILL)

            def restart() -> None:
                workers.append(processes.start("worker"))

            asyncio.run(_traffic_with_kill(chaotic_sandbox, kill, restart))
            _assert_all_hold(chaotic_sandbox, tmp_path, url)
            assert [processes.stop(worker) for worker in workers[2:]] == [0, 0]
        finally:
            processes.close()


def test_one_run_process_on_sqlite_killed_and_restarted_holds_every_invariant(
    chaotic_sandbox: dict[str, Any], tmp_path: Path
) -> None:
    port = free_port()
    processes = Processes(
        bridge_env(chaotic_sandbox, f"sqlite:///{tmp_path / 'bridge.db'}", port), tmp_path
    )
    try:
        runs = [processes.start("run")]
        wait_for(f"http://127.0.0.1:{port}/healthz")
        wait_for_provisioning(chaotic_sandbox["amocrm"]["base_url"])

        def kill() -> None:
            runs[0].send_signal(signal.SIGKILL)
            runs[0].wait(timeout=10)

        def restart() -> None:
            runs.append(processes.start("run"))

        asyncio.run(_traffic_with_kill(chaotic_sandbox, kill, restart))
        _assert_all_hold(chaotic_sandbox, tmp_path, processes.env["LEADBRIDGE_DATABASE_URL"])
        assert processes.stop(runs[-1]) == 0
    finally:
        processes.close()
