"""What routing and first-call tasks cost deal creation, measured against routing off in one run.

    uv run python -m bench.amocrm_routing [--deals 3000] [--rounds 2] [--database URL]

Each round times the deal batcher twice from a backlog of `--deals` stored requests, each time
on a fresh database and a fresh amoCRM simulator: once without `[routing]` (the token's user
owns every deal, no task), once with the demo's city teams (`sandbox/demo_routing.py`) and a
task per deal. The two alternate, so a machine that slows down during the run slows both.

Deal creation is timed to the last deal, as `bench.amocrm_deals` times it; the tasks follow once
no deal waits (`sync/deal_batcher.py`) and go through the same limiter, 7 requests a second, 50
tasks a request, so their rate is reported against the same 350 a second. The cost of routing
is the drop in deal creation's fraction of that ceiling, relative to routing off; the issue asks
for less than 5 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.amocrm_backlog import backlog, deals_waiting
from bench.amocrm_deals import CEILING_DEALS_PER_S
from bench.relay_engine import fresh_database
from leadbridge import logs
from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.funnel import Funnel
from leadbridge.sandbox.amocrm import AmoSandbox, create_amocrm_app
from leadbridge.sandbox.demo_routing import demo_routing
from leadbridge.store import lead_tasks
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.deal_tasks import DealTasks
from leadbridge.sync.routing import Router
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.server import serve


@dataclass(frozen=True, slots=True)
class Timing:
    deals_s: float  # backlog to the last deal
    tasks_s: float  # the last deal to the last task (0 without routing)
    tasks: int  # tasks amoCRM holds at the end
    http_429: int


async def measure(deals: int, rounds: int, database_url: str | None = None) -> dict[str, Any]:
    funnel = load_funnel(DEFAULT_FUNNEL)
    off: list[Timing] = []
    on: list[Timing] = []
    with tempfile.TemporaryDirectory() as folder:
        for number in range(rounds):
            for routed, timings in ((False, off), (True, on)):
                target = database_url or f"sqlite:///{Path(folder) / f'{number}-{routed}.db'}"
                async with fresh_database(target) as url:
                    timings.append(await _timed(url, funnel, deals, routed=routed))
    off_rate = deals / statistics.median(t.deals_s for t in off)
    on_rate = deals / statistics.median(t.deals_s for t in on)
    tasks_s = statistics.median(t.tasks_s for t in on)
    both_s = statistics.median(t.deals_s + t.tasks_s for t in on)
    return {
        "database": (database_url or "sqlite").split(":", 1)[0],
        "deals": deals,
        "rounds": rounds,
        "off_deals_per_second": round(off_rate, 1),
        "off_fraction_of_ceiling": round(off_rate / CEILING_DEALS_PER_S, 3),
        "on_deals_per_second": round(on_rate, 1),
        "on_fraction_of_ceiling": round(on_rate / CEILING_DEALS_PER_S, 3),
        "routing_cost_of_fraction": round(1 - on_rate / off_rate, 4),
        "tasks_created": min(t.tasks for t in on),
        "tasks_per_second": round(deals / tasks_s, 1) if tasks_s else None,
        "tasks_fraction_of_ceiling": round(deals / tasks_s / CEILING_DEALS_PER_S, 3)
        if tasks_s
        else None,
        # deals and tasks share the limiter: both together against the one ceiling
        "deals_and_tasks_per_second": round(2 * deals / both_s, 1),
        "deals_and_tasks_fraction_of_ceiling": round(2 * deals / both_s / CEILING_DEALS_PER_S, 3),
        "http_429": sum(t.http_429 for t in off + on),
    }


async def _timed(url: str, funnel: Funnel, deals: int, *, routed: bool) -> Timing:
    app = create_amocrm_app()
    sandbox: AmoSandbox = app.state.sandbox
    upgrade(url)
    db = Database(url)
    try:
        async with serve(app) as base_url:
            start = await backlog(db, sandbox, base_url, funnel, deals)
            api, layout = start.api, start.layout
            router = Router(demo_routing(sandbox).routing() if routed else None, ())
            tasks = DealTasks(db=db, api=api, router=router) if routed else None
            batcher = DealBatcher(
                db=db,
                api=api,
                funnel=funnel,
                layout=layout,
                wakeups=LocalWakeups(),
                router=router if routed else None,
                tasks=tasks,
            )
            started = time.monotonic()
            while await deals_waiting(db):
                await batcher.run_once()
            deals_s = time.monotonic() - started
            while tasks is not None and await _tasks_waiting(db):
                await tasks.run_once()
            tasks_s = time.monotonic() - started - deals_s if routed else 0.0
            await api.aclose()
    finally:
        await db.dispose()
    limited = int(sandbox.state_json()["stats"]["rate_limited_total"])
    return Timing(deals_s, tasks_s, len(sandbox.tasks), limited)


async def _tasks_waiting(db: Database) -> bool:
    async with db.transaction() as session:
        return bool(await lead_tasks.waiting(session, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database", default=None, help="postgresql://… (default: SQLite)")
    args = parser.parse_args()
    logs.configure("WARNING")
    print(json.dumps(asyncio.run(measure(args.deals, args.rounds, args.database))))


if __name__ == "__main__":
    main()
