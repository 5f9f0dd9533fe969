"""leadbridge as separate processes against the simulators with their fault profile on: the
bridge's processes, a stream of requests, the managers who work them, and the invariants."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from tests.acceptance import processes
from tests.acceptance.processes import LEADBRIDGE

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.sandbox.invariants import check_invariants
from leadbridge.sandbox.managers import ManagerCrew
from leadbridge.store.database import driver_url

FUNNEL = load_funnel(DEFAULT_FUNNEL)
# The scale is 1,000 requests; CI runs fewer (LEADBRIDGE_CHAOS_LEADS=1000 for the full).
LEADS = int(os.environ.get("LEADBRIDGE_CHAOS_LEADS", "100"))
REQUESTS_PER_S = 20.0


def bridge_env(credentials: dict[str, Any], database_url: str, port: int) -> dict[str, str]:
    """The rehearsal's environment (`processes.bridge_env`), with the chaos run's own secrets
    and the faster clocks it needs."""
    env = processes.bridge_env(
        credentials,
        database_url,
        port,
        webhook_secret="chaos-webhook-secret",
        webhook_token="chaos-token-0123456789abcdef",
    )
    env.update(
        {
            "LEADBRIDGE_AVITO__FEED_POLL_INTERVAL_S": "5",
            "LEADBRIDGE_AMOCRM__EVENTS_POLL_INTERVAL_S": "2",
            # The managers work 500 times faster than people; the relay's backoff ceiling (300 s
            # in production) is compressed too, or a status unlucky with 5xx five times in a row
            # (read-backs count) waits past the settling time (one in ~20 runs at 100 leads).
            "LEADBRIDGE_RELAY__BACKOFF_MAX_S": "20",
            "LEADBRIDGE_LOG_LEVEL": "WARNING",
        }
    )
    return env


@dataclass
class Processes:
    """The bridge's processes of one test; whatever is still running is killed at the end."""

    env: dict[str, str]
    cwd: Path
    running: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self, command: str) -> subprocess.Popen[str]:
        log = (self.cwd / f"{command}-{len(self.running)}.log").open("w")
        process = subprocess.Popen(
            [*LEADBRIDGE, command], env=self.env, cwd=self.cwd, stdout=log, stderr=log, text=True
        )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen[str]) -> int:
        """SIGTERM, as an orchestrator stops a process; its exit code."""
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=60)

    def close(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def upgrade_database(env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        [*LEADBRIDGE, "db", "upgrade"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in time")


def wait_for_provisioning(amocrm_url: str, seconds: float = 120) -> None:
    """Until a worker has created the funnel's pipeline in amoCRM."""
    deadline = time.monotonic() + seconds
    while True:
        pipelines = _state(amocrm_url).get("pipelines", [])
        if any(pipeline.get("name") == FUNNEL.name for pipeline in pipelines):
            return
        assert time.monotonic() < deadline, "amoCRM was never provisioned"
        time.sleep(0.3)


async def send_requests(
    avito_url: str,
    count: int,
    arrived: asyncio.Event,
    at: int,
    per_second: float = REQUESTS_PER_S,
) -> None:
    """`count` new buyout requests at a steady pace; `arrived` is set after the `at`-th."""
    async with httpx.AsyncClient(base_url=avito_url, timeout=10) as client:
        for number in range(1, count + 1):
            await _send_request(client, f"rig-{number:06d}")
            if number == at:
                arrived.set()
            await asyncio.sleep(1 / per_second)


async def _send_request(client: httpx.AsyncClient, lead_id: str, attempts: int = 5) -> None:
    """One request, exactly once: on a machine this loaded a kept-alive connection can be closed
    under a request, so it is sent again, and 409 (its id is taken) means the first one arrived."""
    for attempt in range(1, attempts + 1):
        try:
            answer = await client.post("/sandbox/leads", json={"id": lead_id})
        except httpx.TransportError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.5)
            continue
        if answer.status_code != 409:
            answer.raise_for_status()
        return


async def work_deals(amocrm_url: str, count: int) -> None:
    """The managers move every deal through the funnel until all `count` are closed."""
    async with httpx.AsyncClient(base_url=amocrm_url) as client:
        token = (await client.post("/sandbox/person-token")).json()["access_token"]
    crew = ManagerCrew(
        amocrm_url=amocrm_url, person_token=token, funnel=FUNNEL, seed=7, time_scale=0.002
    )
    await crew.run(stop_when_all_closed=count)


def _state(simulator_url: str, attempts: int = 5) -> dict[str, Any]:
    """A simulator's whole state; a read, so a dropped connection is simply read again."""
    for attempt in range(1, attempts + 1):
        try:
            answer = httpx.get(simulator_url + "/sandbox/state", timeout=30)
            answer.raise_for_status()
            state: dict[str, Any] = answer.json()
            return state
        except httpx.TransportError:
            if attempt == attempts:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def invariants(avito_url: str, amocrm_url: str) -> dict[str, Any]:
    return check_invariants(
        avito_state=_state(avito_url),
        amocrm_state=_state(amocrm_url),
        funnel=FUNNEL,
    )


def eventually_invariants(avito_url: str, amocrm_url: str, seconds: float) -> dict[str, Any]:
    """The invariants once they hold, or their last result when time is up: statuses still on
    their way (retries after backoff, caught-up webhooks) are given time to arrive."""
    deadline = time.monotonic() + seconds
    while True:
        result = invariants(avito_url, amocrm_url)
        if result["ok"] or time.monotonic() > deadline:
            return result
        time.sleep(2)


# A lead's rows a failed run shows: its logged stage changes, then its queued statuses.
LEAD_ROWS = (
    (
        "change",
        "SELECT old_status_id, new_status_id, stage_key, verdict, source, occurred_at"
        " FROM status_log WHERE lead_id = :l ORDER BY id",
    ),
    (
        "outbox",
        "SELECT seq, status, state, attempts, next_attempt_at, last_error"
        " FROM outbox WHERE lead_id = :l ORDER BY seq",
    ),
)


def bridge_view(database_url: str, result: dict[str, Any]) -> str:
    """What the bridge's own tables say about the leads an invariant names: for whoever reads a
    failed run (the database is dropped with the test)."""
    named = sorted(
        {
            avito_id
            for invariant in result["invariants"].values()
            for violation in invariant["violations"]
            for avito_id in re.findall(r"lead (b-\d+)", violation)
        }
    )[:5]
    lines = []
    engine = create_engine(driver_url(database_url, asynchronous=False))
    with engine.connect() as connection:
        for avito_id in named:
            lead = connection.execute(
                text(
                    "SELECT id, amo_lead_id, stage_key, avito_status FROM leads"
                    " WHERE avito_lead_id = :a"
                ),
                {"a": avito_id},
            ).one_or_none()
            lines.append(f"{avito_id}: {lead}")
            if lead is None:
                continue
            for label, query in LEAD_ROWS:
                for row in connection.execute(text(query), {"l": lead.id}):
                    lines.append(f"  {label} {tuple(row)}")
    engine.dispose()
    return "\n".join(lines)
