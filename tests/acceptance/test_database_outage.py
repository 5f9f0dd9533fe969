"""A 20-second PostgreSQL restart in the middle of a run: Avito keeps sending, managers keep
moving deals, and once the database is back every flow goes on by itself — no process of ours
is restarted — until every invariant holds. While the database is gone `/readyz` says so."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.acceptance.chaos_rig import (
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
from tests.acceptance.postgres_cluster import Cluster, private_cluster
from tests.acceptance.processes import free_port, sandbox_serve

LEADS = 30
PER_SECOND = 2.0  # slow enough that requests keep arriving all through the outage
OUTAGE_S = 20.0
SETTLE_S = 240.0

pytestmark = [pytest.mark.long, pytest.mark.postgres, pytest.mark.timeout(SETTLE_S + 180)]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with private_cluster() as running:
        yield running


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with sandbox_serve(tmp_path) as credentials:
        yield credentials


async def _traffic_with_outage(
    credentials: dict[str, Any], cluster: Cluster, ready_url: str
) -> int:
    """Every request and the managers' work, with the database gone for `OUTAGE_S` a quarter of
    the way in; returns what `/readyz` answered during the outage."""
    arrived = asyncio.Event()
    avito, amocrm = credentials["avito"]["base_url"], credentials["amocrm"]["base_url"]
    requests = asyncio.create_task(
        send_requests(avito, LEADS, arrived, at=LEADS // 4, per_second=PER_SECOND)
    )
    managers = asyncio.create_task(work_deals(amocrm, LEADS))
    await arrived.wait()
    await asyncio.to_thread(cluster.stop)
    await asyncio.sleep(2.0)
    async with httpx.AsyncClient(timeout=10) as client:
        during = (await client.get(ready_url)).status_code
    await asyncio.sleep(OUTAGE_S - 2.0)
    await asyncio.to_thread(cluster.start)
    await asyncio.gather(requests, managers)
    return during


def _restarts(metrics_url: str, loop: str) -> float:
    found = re.search(
        rf'^leadbridge_loop_restarts_total{{loop="{loop}"}} (\S+)$',
        httpx.get(metrics_url, timeout=10).text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


def _survives_outage(
    sandbox: dict[str, Any],
    cluster: Cluster,
    tmp_path: Path,
    start: Callable[[Processes], list[subprocess.Popen[str]]],
) -> None:
    port = free_port()
    processes = Processes(bridge_env(sandbox, cluster.url, port), tmp_path)
    try:
        ours = start(processes)
        wait_for(f"http://127.0.0.1:{port}/healthz")
        wait_for_provisioning(sandbox["amocrm"]["base_url"])
        base = f"http://127.0.0.1:{port}"

        during = asyncio.run(_traffic_with_outage(sandbox, cluster, f"{base}/readyz"))

        result = eventually_invariants(
            sandbox["avito"]["base_url"], sandbox["amocrm"]["base_url"], SETTLE_S
        )
        logs = "\n".join(path.read_text()[-2000:] for path in sorted(tmp_path.glob("*.log")))
        assert result["ok"], f"{result['invariants']}\n{bridge_view(cluster.url, result)}\n{logs}"
        assert result["invariants"]["one_deal_per_request"]["checked"] == LEADS
        assert during == 503
        assert [process.poll() for process in ours] == [None] * len(ours), logs
        # The relay failed while the database was gone and was started again, not lost.
        assert _restarts(f"{base}/metrics", "relay") >= 1
        wait_for(f"{base}/readyz", seconds=30)
        assert [processes.stop(process) for process in ours] == [0] * len(ours)
    finally:
        processes.close()


def test_run_rides_out_a_database_restart(
    sandbox: dict[str, Any], cluster: Cluster, tmp_path: Path
) -> None:
    _survives_outage(sandbox, cluster, tmp_path, lambda processes: [processes.start("run")])


def test_web_and_two_workers_ride_out_a_database_restart(
    sandbox: dict[str, Any], cluster: Cluster, tmp_path: Path
) -> None:
    def start(processes: Processes) -> list[subprocess.Popen[str]]:
        upgrade_database(processes.env, tmp_path)
        web = processes.start("web")
        return [web, processes.start("worker"), processes.start("worker")]

    _survives_outage(sandbox, cluster, tmp_path, start)
