"""A manager's stage change to Avito: latency p50/p99 at ten times the reference load.

    uv run python -m bench.relay_latency [--database URL] [--samples 200] [--per-second 6]

The reference load is 5,000 requests a week, about seven statuses each; ten times that is about
0.6 status events a second. Time is compressed: `--per-second` stage changes a second (default
6, about 10× faster again), still far below Avito's limit (5 requests × 100 statuses). Each
sample is one deal moved by a manager from "new" to "contacted" in the amoCRM simulator; its
latency runs from the manager's PATCH to the moment the Avito simulator applied "contacted": the
amoCRM webhook, the web endpoint, the stage-change flow, the outbox and the relay. Goal: p99 <
0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from bench.relay_engine import fresh_database
from leadbridge import logs
from leadbridge.config import DEFAULT_FUNNEL
from leadbridge.processes import running
from leadbridge.sandbox.avito import AvitoSandbox
from leadbridge.sandbox.demo import bridge_settings
from leadbridge.sandbox.demo_sims import DemoOptions, simulators
from leadbridge.sync.bridge import Bridge

STATUS = "contacted"


def _applied(avito: AvitoSandbox, lead_id: str, status: str) -> bool:
    record = avito.lead(lead_id)
    return record is not None and any(entry.status == status for entry in record.history)


async def _until(condition: Any, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the bridge did not get there in time")
        await asyncio.sleep(0.002)


async def _sample(
    client: httpx.AsyncClient, avito: AvitoSandbox, deal_id: int, lead_id: str, stage_id: int
) -> float:
    started = time.monotonic()
    moved = await client.patch(f"/api/v4/leads/{deal_id}", json={"status_id": stage_id})
    moved.raise_for_status()
    await _until(lambda: _applied(avito, lead_id, STATUS), 60.0)
    return time.monotonic() - started


async def measure(database_url: str, samples: int, per_second: float) -> dict[str, Any]:
    port = _free_port()
    options = DemoOptions(
        leads=samples, check=True, port=port, seed=3, database_url=database_url,
        funnel_file=DEFAULT_FUNNEL, leads_per_second=1000.0, time_scale=0.001, timeout_s=600.0,
    )  # fmt: skip
    async with simulators(options.seed) as sims, fresh_database(database_url) as url:
        settings = bridge_settings(options, sims, url)
        async with running(settings) as process:
            assert process.bridge is not None
            latencies = await _run(process.bridge, sims.avito, sims.amocrm_url, samples, per_second)
    ordered = sorted(latencies)
    return {
        "database": url.split(":", 1)[0],
        "samples": len(ordered),
        "stage_changes_per_second": per_second,
        "p50_s": round(statistics.median(ordered), 3),
        "p99_s": round(ordered[max(int(len(ordered) * 0.99) - 1, 0)], 3),
        "max_s": round(ordered[-1], 3),
    }


async def _run(
    bridge: Bridge, avito: AvitoSandbox, amocrm_url: str, samples: int, per_second: float
) -> list[float]:
    lead_ids = [str(avito.add_lead()["id"]) for _ in range(samples)]
    await _until(lambda: all(_applied(avito, lead, "accepted") for lead in lead_ids))
    assert bridge.layout is not None
    stage_id = bridge.layout.status_ids[STATUS]
    async with httpx.AsyncClient(base_url=amocrm_url, timeout=10) as client:
        token = (await client.post("/sandbox/person-token")).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        deals = await _deals_by_lead(client)
        tasks = []
        for lead in lead_ids:
            tasks.append(asyncio.create_task(_sample(client, avito, deals[lead], lead, stage_id)))
            await asyncio.sleep(1 / per_second)
        return list(await asyncio.gather(*tasks))


async def _deals_by_lead(client: httpx.AsyncClient) -> dict[str, int]:
    state = (await client.get("/sandbox/state")).json()
    found: dict[str, int] = {}
    for deal in state["leads"]:
        for field in deal.get("custom_fields_values") or []:
            if field.get("field_code") == "AVITO_LEAD_ID":
                found[str(field["values"][0]["value"])] = int(deal["id"])
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default=f"sqlite:///{Path('bench-latency.db').absolute()}")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--per-second", type=float, default=6.0)
    args = parser.parse_args()
    logs.configure("WARNING")
    print(json.dumps(asyncio.run(measure(args.database, args.samples, args.per_second))))


if __name__ == "__main__":
    main()
