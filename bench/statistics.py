"""Conversion statistics over many synthetic deals on PostgreSQL: time, and peak memory.

    uv run python -m bench.statistics [--small 100000] [--large 1000000]

Synthetic requests (with status log rows and the sent buyout status of bought-out deals) are
bulk-loaded with COPY into a fresh database; `leadbridge stats`'s own query (`gather`) runs once
at `--small` deals and again after the database grew to `--large`. Peak memory is Python's
(tracemalloc) during the query: the aggregates are GROUP BYs in PostgreSQL, so it must not grow
with the deal count — the report gives the ratio large/small for time and for memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.stats_command import load_statistics

ADMIN_URL = os.environ.get(
    "LEADBRIDGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres"
)
CITIES = [f"Город {n}" for n in range(40)]
MODELS = [f"Модель {n}" for n in range(120)]
REASONS = ["Продавец передумал", "Не сошлись в цене", "Продавец не отвечает"]
START = datetime(2026, 1, 5, tzinfo=UTC)
WORKING = [
    "new", "taken", "contacted", "negotiation", "price_agreed", "pickup_scheduled",
    "in_transit", "received", "inspection", "bought_out",
]  # fmt: skip
LEAD_COLUMNS = (
    "id, avito_lead_id, offer_type, device, model, seller_name, city, buyout_price_kopecks, "
    "seller_price_kopecks, avito_created_at, raw_payload, deal_state, deal_attempts, "
    "amo_lead_id, stage_key, created_at, updated_at"
)
LOG_COLUMNS = (
    "lead_id, change_key, new_status_id, stage_key, price_kopecks, loss_reason, verdict, "
    "source, occurred_at, recorded_at"
)
OUTBOX_COLUMNS = (
    "lead_id, seq, avito_lead_id, status, price_kopecks, occurred_at, idempotency_key, state, "
    "attempts, next_attempt_at, created_at, sent_at"
)


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"leadbridge_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            connection.execute(drop.format(sql.Identifier(name)))


def synthetic(first: int, last: int) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Rows of requests first..last-1: ('lead' | 'log' | 'outbox', row). Deterministic."""
    for i in range(first, last):
        draw = (i * 2654435761) % 100
        created = START + timedelta(minutes=i % 260_000)
        asking = 1_000_000 + (i * 7919) % 5_000_000
        paid = asking - (i * 31) % 400_000
        if draw < 10:
            path, lost = [0], False
        elif draw < 40:
            path, lost = [1, 2, 3, 4][: 1 + draw % 4], True
        elif draw < 70:
            path, lost = [1, 2, 1 + draw % 9], False
        else:
            path, lost = [1, 2, 4, 9], False
        final = "lost" if lost else WORKING[max(path)]
        yield "lead", _lead(i, created, asking, final)
        when = created
        for n, position in enumerate(p for p in path if p > 0):
            when += timedelta(hours=1 + (i + n) % 30)
            price = paid if position >= 4 else None
            yield "log", (i, f"{i}:{n}", n, WORKING[position], price, None, when)
        if lost:
            yield (
                "log",
                (i, f"{i}:lost", 143, "lost", None, REASONS[i % 3], when + timedelta(hours=2)),
            )
        if final == "bought_out":
            yield "outbox", (i, paid, when)


def _lead(i: int, created: datetime, asking: int, stage: str) -> tuple[Any, ...]:
    return (
        i, f"b-{i}", "buyout", "{}", MODELS[i % len(MODELS)], "—", CITIES[(i // 7) % len(CITIES)],
        asking, asking, created, "{}", "created", 1, 10_000_000 + i, stage, created, created,
    )  # fmt: skip


def load(url: str, first: int, last: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        # One COPY at a time per connection: each table is its own pass over the generator.
        with cursor.copy(f"COPY leads ({LEAD_COLUMNS}) FROM STDIN") as leads:
            for kind, row in synthetic(first, last):
                if kind == "lead":
                    leads.write_row(row)
        with cursor.copy(f"COPY status_log ({LOG_COLUMNS}) FROM STDIN") as log:
            for kind, row in synthetic(first, last):
                if kind == "log":
                    lead_id, key, status, stage, price, reason, when = row
                    log.write_row(
                        (lead_id, key, status, stage, price, reason, "send", "webhook", when, when)
                    )
        with cursor.copy(f"COPY outbox ({OUTBOX_COLUMNS}) FROM STDIN") as outbox:
            for kind, row in synthetic(first, last):
                if kind == "outbox":
                    lead_id, price, when = row
                    outbox.write_row(
                        (lead_id, 1, f"b-{lead_id}", "bought_out", price, when,
                         f"b-{lead_id}:bought_out", "sent", 1, when, when, when)
                    )  # fmt: skip
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


async def query(url: str) -> dict[str, Any]:
    funnel = load_funnel(DEFAULT_FUNNEL)
    db = Database(url)
    try:
        await load_statistics(db, funnel)  # warm: connection, plan cache, buffers
        tracemalloc.start()
        started = time.perf_counter()
        result = await load_statistics(db, funnel)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await db.dispose()
    return {"leads": result.leads, "seconds": round(elapsed, 2), "peak_kib": peak // 1024}


def measure(small: int, large: int) -> dict[str, Any]:
    with fresh_database() as url:
        upgrade(url)
        load_small = load(url, 1, small + 1)
        at_small = asyncio.run(query(url))
        load_rest = load(url, small + 1, large + 1)
        at_large = asyncio.run(query(url))
    return {
        "load_seconds": {"small": round(load_small, 1), "rest": round(load_rest, 1)},
        "small": at_small,
        "large": at_large,
        "time_ratio": round(at_large["seconds"] / at_small["seconds"], 2),
        "memory_ratio": round(at_large["peak_kib"] / max(at_small["peak_kib"], 1), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.small, args.large)))


if __name__ == "__main__":
    main()
