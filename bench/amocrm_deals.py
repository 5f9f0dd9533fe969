"""Creating deals in amoCRM at its 7 req/s limit: fraction of the ceiling, and 429s.

    uv run python -m bench.amocrm_deals [--deals 5000] [--baseline-deals 140] [--database URL]

The ceiling is 7 requests × 50 deals per second (`/leads/complex` takes 50). leadbridge's deal
batcher is timed from a backlog of `--deals` stored requests to the last deal created (the
device-card notes follow once no deal waits, and are timed separately). The baseline creates one
deal per request — the pattern of the popular Python clients, which cannot be pointed at a
loopback simulator because they build the host from the subdomain — through the same limiter.
On SQLite (the default, a temporary file) the limiter is in the process; on PostgreSQL (a fresh
database on the server given) it is the shared one in the database, as every worker uses it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.amocrm_backlog import backlog, deals_waiting
from bench.relay_engine import fresh_database
from leadbridge import logs
from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.funnel import Funnel
from leadbridge.sandbox.amocrm import AmoSandbox, create_amocrm_app
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.server import serve

REQUESTS_PER_S = 7
CEILING_DEALS_PER_S = REQUESTS_PER_S * 50


async def measure(
    deals: int, baseline_deals: int, database_url: str | None = None
) -> dict[str, Any]:
    funnel = load_funnel(DEFAULT_FUNNEL)
    app = create_amocrm_app()
    sandbox: AmoSandbox = app.state.sandbox
    with tempfile.TemporaryDirectory() as folder:
        target = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        async with fresh_database(target) as url:
            deals_s, notes_s, baseline_s = await _timed(url, app, funnel, deals, baseline_deals)
    stats = sandbox.state_json()["stats"]
    rate, baseline_rate = deals / deals_s, baseline_deals / baseline_s
    return {
        "database": target.split(":", 1)[0],
        "deals": deals,
        "deals_created": len(sandbox.leads) - baseline_deals,
        "seconds_to_last_deal": round(deals_s, 2),
        "deals_per_second": round(rate, 1),
        "fraction_of_ceiling": round(rate / CEILING_DEALS_PER_S, 3),
        "fraction_of_fastest_possible": round(_fastest_possible_s(deals) / deals_s, 3),
        "notes_seconds_after": round(notes_s, 2),
        "http_429": stats["rate_limited_total"],
        "baseline_deals_per_second": round(baseline_rate, 2),
        "baseline_fraction_of_ceiling": round(baseline_rate / CEILING_DEALS_PER_S, 4),
        "speedup_over_baseline": round(rate / baseline_rate, 1),
    }


async def _timed(
    url: str, app: Any, funnel: Funnel, deals: int, baseline_deals: int
) -> tuple[float, float, float]:
    """Seconds to the last deal, then to the last note, and of the baseline."""
    sandbox: AmoSandbox = app.state.sandbox
    upgrade(url)
    db = Database(url)
    async with serve(app) as base_url:
        start = await backlog(db, sandbox, base_url, funnel, deals)
        api, layout = start.api, start.layout
        batcher = DealBatcher(db=db, api=api, funnel=funnel, layout=layout, wakeups=LocalWakeups())

        started = time.monotonic()
        while await deals_waiting(db):
            await batcher.run_once()
        deals_s = time.monotonic() - started
        while await batcher.run_once():
            pass
        notes_s = time.monotonic() - started - deals_s

        baseline_s = await _one_per_request(api, layout.pipeline_id, baseline_deals)
        await api.aclose()
    await db.dispose()
    return deals_s, notes_s, baseline_s


def _fastest_possible_s(deals: int) -> float:
    """The least time any client needs for `deals` under 7 requests in any second: the k-th
    request (from 0) cannot leave before second k // 7. Unlike deals per second, this does not
    credit the burst of 7 requests the first second allows."""
    requests = math.ceil(deals / 50)
    return float((requests - 1) // REQUESTS_PER_S)


async def _one_per_request(api: Any, pipeline_id: int, count: int) -> float:
    started = time.monotonic()
    for index in range(count):
        await api.client.request(
            "POST",
            "/api/v4/leads",
            json=[{"name": f"baseline {index}", "pipeline_id": pipeline_id}],
        )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=5000)
    parser.add_argument("--baseline-deals", type=int, default=140)
    parser.add_argument("--database", default=None, help="postgresql://… (default: SQLite)")
    args = parser.parse_args()
    logs.configure("WARNING")
    print(json.dumps(asyncio.run(measure(args.deals, args.baseline_deals, args.database))))


if __name__ == "__main__":
    main()
