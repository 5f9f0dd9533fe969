"""What evaluating every alert rule costs: CPU seconds per minute of run, as a share of one core,
at the default interval (30 s) and with a history well above 10× the reference load.

    uv run python -m bench.alert_rules [--leads 40000] [--passes 30]
        [--database-url postgresql://postgres@127.0.0.1/leadbridge_bench_alerts]

The reference load is 500 requests a week. The history written here has one request a minute
(about 10,000 a week, 20×) for `--leads` minutes, each with a deal, a stage change and two sent
statuses, plus statuses waiting and parked and events waiting in the inbox, so that every rule
reads something. The engine's own process CPU is measured (`time.process_time`): on SQLite
that includes the database's work, on PostgreSQL the server's share is not included (its
`pg_stat_statements` would tell; the queries are aggregates over indexes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench.dashboard_pages import _fill
from leadbridge.alerts.engine import AlertEngine
from leadbridge.alerts.readings import ReadingsSource
from leadbridge.config.alerts import AlertSettings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import InboxEvent, OutboxItem

WAITING = 200  # statuses pending and parked, and events not yet processed


async def _troubles(db: Database, leads: int) -> None:
    now = datetime.now(UTC)
    items, events = [], []
    for n in range(1, WAITING + 1):
        state = "parked" if n % 4 == 0 else "pending"
        items.append({
            "lead_id": n, "seq": 10, "avito_lead_id": f"b-{n:07d}", "status": "price_agreed",
            "occurred_at": now, "idempotency_key": f"w-{n}", "state": state, "attempts": 1,
            "next_attempt_at": now, "created_at": now - timedelta(minutes=n), "sent_at": None,
        })  # fmt: skip
    for n in range(1, leads + 1):
        processed = None if n <= WAITING else now
        events.append({
            "source": "avito", "event_key": f"e-{n}", "channel": "webhook", "body": "{}",
            "received_at": now - timedelta(minutes=n), "processed_at": processed, "attempts": 0,
        })  # fmt: skip
    async with db.transaction() as session:
        await session.execute(insert(OutboxItem), items)
        for start in range(0, len(events), 5000):
            await session.execute(insert(InboxEvent), events[start : start + 5000])
    if db.is_postgres:
        async with db.transaction() as session:
            await session.execute(text("ANALYZE"))


async def measure(database_url: str, leads: int, passes: int) -> dict[str, Any]:
    upgrade(database_url)
    db = Database(database_url)
    try:
        await _fill(db, leads, 1)
        await _troubles(db, leads)
        settings = AlertSettings(working_hours="00:00-24:00")
        engine = AlertEngine(
            db=db,
            settings=settings,
            source=ReadingsSource(db, settings, None),
            channels=[],
            dashboard_url=None,
        )
        await engine.run_once()  # warm: connections, compiled statements, the incidents opened
        started, wall = time.process_time(), time.monotonic()
        for _ in range(passes):
            await engine.run_once()
        cpu_per_pass = (time.process_time() - started) / passes
        wall_per_pass = (time.monotonic() - wall) / passes
    finally:
        await db.dispose()
    per_minute = cpu_per_pass * 60 / settings.interval_s
    return {
        "database": database_url.split(":", 1)[0],
        "leads": leads,
        "requests_per_week": 7 * 24 * 60,
        "passes": passes,
        "cpu_ms_per_pass": round(cpu_per_pass * 1000, 2),
        "wall_ms_per_pass": round(wall_per_pass * 1000, 2),
        "cpu_s_per_minute": round(per_minute, 4),
        "share_of_one_core": round(per_minute / 60, 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=40_000)
    parser.add_argument("--passes", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url:
        result = asyncio.run(measure(args.database_url, args.leads, args.passes))
    else:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{directory}/alerts.db"
            result = asyncio.run(measure(url, args.leads, args.passes))
    print(json.dumps({"alert_rules": result}))


if __name__ == "__main__":
    main()
