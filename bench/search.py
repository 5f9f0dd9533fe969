"""The dashboard's lead search at many deals on PostgreSQL: median time per kind of search.

    uv run python -m bench.search [--leads 1000000] [--queries 30] [--database postgresql://…]

A fresh database (or `--database`, empty) is taken to revision 0021 and filled by the statistics
benchmark's COPY loader (leads, their status log and sent buyouts); one set-wise UPDATE then
gives each seller a mobile number, a name and a model drawn from realistic lists, so that a
search has something to tell apart. The upgrade to the newest revision builds migration 0022's
indexes (timed). Each kind of search is then run `--queries` times with varied terms through
`lead_search.search`, the store function the «Заявки» page calls, as an operator who sees
personal data: the count of matches and the first page of 25, newest first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics as stats
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from bench.statistics import fresh_database, load
from leadbridge.store import lead_search
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade

MODELS = [
    "iPhone 11", "iPhone 11 Pro", "iPhone 12", "iPhone 12 mini", "iPhone 12 Pro",
    "iPhone 12 Pro Max", "iPhone 13", "iPhone 13 mini", "iPhone 13 Pro", "iPhone 13 Pro Max",
    "iPhone 14", "iPhone 14 Plus", "iPhone 14 Pro", "iPhone 14 Pro Max", "iPhone 15",
    "iPhone 15 Plus", "iPhone 15 Pro", "iPhone 15 Pro Max", "iPhone SE 2020", "iPhone XR",
    "Samsung Galaxy S21", "Samsung Galaxy S22", "Samsung Galaxy S23", "Samsung Galaxy S23 Ultra",
    "Samsung Galaxy A54", "Samsung Galaxy A34", "Samsung Galaxy Z Flip5", "Xiaomi Redmi Note 12",
    "Xiaomi Redmi Note 13 Pro", "Poco X5 Pro", "Google Pixel 7", "Google Pixel 8 Pro",
    "Huawei P40", "Honor 90", "iPad Air 5", "iPad Pro 11", "MacBook Air M1", "MacBook Pro 14",
    "AirPods Pro 2", "Apple Watch Series 8",
]  # fmt: skip
FIRST_NAMES = [
    "Александр", "Алексей", "Анна", "Андрей", "Дмитрий", "Екатерина", "Елена", "Иван",
    "Игорь", "Мария", "Михаил", "Наталья", "Николай", "Ольга", "Павел", "Пётр", "Сергей",
    "Светлана", "Татьяна", "Юлия",
]  # fmt: skip
SURNAMES = [
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов",
]  # fmt: skip
# Server-side: a Russian mobile number (+79 and 9 digits spread by a multiplicative hash), a
# name (a surname takes -а after a woman's first name) and a model, each drawn from the lead's id.
SELLERS = """
UPDATE leads SET
    seller_phone = '+79' || lpad(((id::bigint * 2654435761) %% 1000000000)::text, 9, '0'),
    seller_name = f.name || ' ' || s.name || CASE WHEN f.name ~ '[ая]$' THEN 'а' ELSE '' END,
    model = m.name
FROM unnest(%(first)s::text[]) WITH ORDINALITY AS f(name, n),
     unnest(%(surnames)s::text[]) WITH ORDINALITY AS s(name, n),
     unnest(%(models)s::text[]) WITH ORDINALITY AS m(name, n)
WHERE f.n = 1 + id %% %(first_count)s
  AND s.n = 1 + (id / 7) %% %(surname_count)s
  AND m.n = 1 + (id::bigint * 40503) %% %(model_count)s
"""
# What an operator types, by kind; each list is cycled through `--queries` times.
SEARCHES: dict[str, list[str]] = {
    # The first digits with the country: about 1 in 100 mobile numbers starts +79NN.
    "phone_prefix_4": [f"+7 9{n:02d}" for n in range(11, 99, 3)],
    "phone_prefix_7": [f"8 9{n:02d} {n * 7 % 1000:03d}" for n in range(11, 99, 3)],
    "phone_last_4": [f"{n * 37 % 10000:04d}" for n in range(1000, 1030)],
    "model_part": [
        "13 pro max",
        "iphone 15 pro",
        "galaxy s23 ultra",
        "redmi note 12",
        "pixel 8",
        "ipad air",
        "айфон 12 mini",
        "z flip",
        "macbook pro",
        "airpods",
    ],
    "name_part": ["петров", "Соколова", "ковал", "Дмитрий Иль", "зайц", "медведев", "орлова"],
}


def seed(url: str, leads: int) -> dict[str, float]:
    """Leads at 0021, their search fields, then 0022 (its indexes built over the full table)."""
    started = time.perf_counter()
    upgrade(url, "0021")
    load(url, 1, leads + 1)
    values = {
        "first": FIRST_NAMES,
        "surnames": SURNAMES,
        "models": MODELS,
        "first_count": len(FIRST_NAMES),
        "surname_count": len(SURNAMES),
        "model_count": len(MODELS),
    }
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(SELLERS, values)
        connection.execute("VACUUM ANALYZE leads")  # as autovacuum would leave it
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    upgrade(url)
    migrated = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return {"load_seconds": round(loaded, 1), "migration_0022_seconds": round(migrated, 1)}


async def timings(url: str, queries: int) -> dict[str, Any]:
    db = Database(url)
    try:
        found: dict[str, Any] = {}
        for kind, terms in SEARCHES.items():
            await _search(db, terms[0])  # warm: the connection, the plan, the buffers
            seconds, totals = [], []
            for n in range(queries):
                started = time.perf_counter()
                total = await _search(db, terms[n % len(terms)])
                seconds.append(time.perf_counter() - started)
                totals.append(total)
            found[kind] = {
                "median_ms": round(stats.median(seconds) * 1000, 1),
                "p90_ms": round(sorted(seconds)[int(len(seconds) * 0.9)] * 1000, 1),
                "found_median": int(stats.median(totals)),
                "example": terms[0],
            }
        return found
    finally:
        await db.dispose()


async def _search(db: Database, typed: str) -> int:
    query = lead_search.LeadQuery(typed, personal_data=True)
    async with db.transaction() as session:
        page = await lead_search.search(session, query)
    return page.total


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url:
        yield url
    else:
        with fresh_database() as fresh:
            yield fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--database", help="an empty PostgreSQL database (default: a fresh one)")
    args = parser.parse_args()
    with _database(args.database) as url:
        report: dict[str, Any] = {"leads": args.leads, **seed(url, args.leads)}
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
            report["pg_trgm"] = bool((row.fetchone() or (0,))[0])
        report["searches"] = asyncio.run(timings(url, args.queries))
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
