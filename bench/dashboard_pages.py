"""How the dashboard's pages scale: each page's median answer time with 10× the leads, as a
ratio, over real HTTP on SQLite or PostgreSQL.

    uv run python -m bench.dashboard_pages [--small 2000] [--factor 10] [--requests 15]
        [--database-url postgresql://postgres@127.0.0.1/leadbridge_bench]

Leads are written in bulk (each with a deal, one stage change and two sent statuses), so the
numbers are about the pages' queries, not about intake. A ratio near 1 means the page does not
grow with the table; near the factor means it reads every row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import insert, text

from leadbridge.config import Settings, WebSettings
from leadbridge.domain.periods import Week
from leadbridge.security.passwords import hash_password
from leadbridge.store import users
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead, OutboxItem, StatusChange
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.pages.charts import StatisticsCache
from leadbridge.web.server import serve

STAGES = ("new", "contacted", "negotiation", "price_agreed", "pickup_scheduled", "bought_out")
MODELS = ("iPhone 11", "iPhone 12 mini", "iPhone 13", "iPhone 14 Pro", "iPad Air 5")
CITIES = ("Москва", "Пермь", "Казань", "Тюмень")
PAGES = {
    "overview": "/",
    "search_phone": "/leads?q=8+916+000-00-07",
    "search_model": "/leads?q=iphone+13",
    "filter_stage_city": "/leads?stage=contacted&city=Казань&page=3",
    "lead": "/leads/7",
    "outbox": "/outbox",
    "funnel": "/funnel",
    "settlement_week": f"/settlements/{Week.of(datetime.now(UTC)).name}",
    "reconciliation": "/reconciliation",
    "charts_cached": "/charts",
}


def _lead_rows(start: int, count: int, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": n, "avito_lead_id": f"b-{n:07d}", "offer_type": "buyout",
            "device": {"model": MODELS[n % len(MODELS)], "memory": "128 ГБ"},
            "model": MODELS[n % len(MODELS)], "seller_name": "Продавец",
            "seller_phone": f"+7916{n:07d}", "city": CITIES[n % len(CITIES)],
            "buyout_price_kopecks": 2_000_000 + n, "avito_created_at": now - timedelta(minutes=n),
            "raw_payload": {}, "deal_state": "created", "deal_attempts": 1,
            "amo_lead_id": 40_000_000 + n, "stage_key": STAGES[n % len(STAGES)],
            "avito_status": "accepted", "created_at": now, "updated_at": now,
        }
        for n in range(start, start + count)
    ]  # fmt: skip


def _history_rows(start: int, count: int, now: datetime) -> tuple[list[Any], list[Any]]:
    changes, items = [], []
    for n in range(start, start + count):
        changes.append({
            "lead_id": n, "change_key": f"c{n}", "new_status_id": 1, "stage_key": STAGES[n % 6],
            "verdict": "send", "source": "webhook", "occurred_at": now, "recorded_at": now,
        })  # fmt: skip
        for seq, status in enumerate(("accepted", "contacted"), start=1):
            items.append({
                "lead_id": n, "seq": seq, "avito_lead_id": f"b-{n:07d}", "status": status,
                "occurred_at": now, "idempotency_key": f"b-{n:07d}:{status}", "state": "sent",
                "attempts": 1, "next_attempt_at": now, "created_at": now, "sent_at": now,
            })  # fmt: skip
    return changes, items


async def _fill(db: Database, upto: int, start: int) -> None:
    now = datetime.now(UTC)
    for chunk in range(start, upto + 1, 2000):
        count = min(2000, upto + 1 - chunk)
        changes, items = _history_rows(chunk, count, now)
        async with db.transaction() as session:
            await session.execute(insert(Lead), _lead_rows(chunk, count, now))
            await session.execute(insert(StatusChange), changes)
            await session.execute(insert(OutboxItem), items)
    if db.is_postgres:
        async with db.transaction() as session:
            await session.execute(text("ANALYZE"))


async def _timings(app: FastAPI, url: str, requests: int) -> dict[str, float]:
    app.state.statistics_cache = StatisticsCache()  # the statistics of this size, not the last
    async with httpx.AsyncClient(base_url=url) as http:
        form = (await http.get("/login")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        login = {"username": "bench", "password": "bench-password", "csrf_token": token.group(1)}
        assert (await http.post("/login", data=login)).status_code == 303
        started = time.perf_counter()
        assert (await http.get("/charts")).status_code == 200
        medians = {"charts_first": time.perf_counter() - started}  # the scan behind the cache
        for name, path in PAGES.items():
            await http.get(path)  # warm: templates compiled, plans cached
            spent = []
            for _ in range(requests):
                started = time.perf_counter()
                answer = await http.get(path)
                spent.append(time.perf_counter() - started)
                assert answer.status_code == 200, (path, answer.status_code)
            medians[name] = statistics.median(spent)
        return medians


async def measure(database_url: str, small: int, factor: int, requests: int) -> dict[str, Any]:
    upgrade(database_url)
    db = Database(database_url)
    settings = Settings(database_url=database_url, web=WebSettings(webhook_token="t"))
    async with db.transaction() as session:
        await users.add_user(
            session, name="bench", role="admin", password_hash=hash_password("bench-password"),
            now=datetime.now(UTC),
        )  # fmt: skip
    app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    try:
        async with serve(app) as url:
            await _fill(db, small, 1)
            before = await _timings(app, url, requests)
            await _fill(db, small * factor, small + 1)
            after = await _timings(app, url, requests)
    finally:
        await db.dispose()
    return {
        "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        "leads": [small, small * factor],
        "median_ms": {name: [round(before[name] * 1000, 1), round(after[name] * 1000, 1)]
                      for name in before},
        "growth": {name: round(after[name] / before[name], 2) for name in before},
        "charts_first_over_cached": [
            round(run["charts_first"] / run["charts_cached"], 1) for run in (before, after)
        ],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        result = asyncio.run(measure(url, args.small, args.factor, args.requests))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
