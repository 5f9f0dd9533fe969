"""Retention purge on PostgreSQL: its time against what it anonymizes, at a large history.

    uv run python -m bench.privacy_purge [--leads 1000000] [--old 110000]

`--leads` synthetic deals with their sellers (name, phone, IMEI in the device and the raw
payload), one raw inbox event each, one phone index row each and their stage changes are
bulk-loaded with COPY into a fresh database at revision 0019; the upgrade to 0020 then backfills
the closing moments (timed). Of the deals, `--old` closed 1,100 to 1,100 + old/1000 days ago,
a thousand a day; half the rest closed within three years, half are open. Then, each timed:

- a purge whose cut-off leaves the oldest 10 days of old deals due (10,000);
- a purge at the default three years: the remaining old deals;
- a purge with nothing due (the daily run's usual cost), and a dry run;
- a purge after 10,000 new stage changes (the catch-up from the status log).

The cost must follow the count anonymized, not the history: the report gives seconds per
thousand deals for both purges, and checks that the status log, the outbox and every amount
are the same before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench.statistics import fresh_database
from leadbridge.config import Settings
from leadbridge.config.privacy import PrivacySettings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.privacy import Purge

NOW = datetime.now(UTC)
WON, LOST, WORKING = 142, 143, 7001
LEAD_COLUMNS = (
    "id, avito_lead_id, offer_type, device, model, seller_name, seller_phone, city, item_url, "
    "buyout_price_kopecks, seller_price_kopecks, avito_created_at, raw_payload, deal_state, "
    "deal_attempts, amo_lead_id, stage_key, imei, created_at, updated_at"
)
LOG_COLUMNS = (
    "lead_id, change_key, new_status_id, stage_key, price_kopecks, verdict, source, "
    "occurred_at, recorded_at"
)
INBOX_COLUMNS = "source, event_key, channel, body, received_at, processed_at, attempts"
OUTBOX_COLUMNS = (
    "lead_id, seq, avito_lead_id, status, price_kopecks, occurred_at, idempotency_key, state, "
    "attempts, next_attempt_at, created_at, sent_at"
)
# Everything a purge must leave as it is: amounts, statuses, what was sent to Avito.
INVARIANTS = (
    "SELECT count(*), sum(price_kopecks), sum(new_status_id) FROM status_log",
    "SELECT count(*), sum(price_kopecks), count(DISTINCT state) FROM outbox",
    "SELECT count(*), sum(buyout_price_kopecks), sum(seller_price_kopecks) FROM leads",
    "SELECT count(*), count(DISTINCT model), count(DISTINCT city) FROM leads",
)


def closing(i: int, old: int) -> tuple[int, datetime]:
    """Deal i's last stage change: (amoCRM status, when)."""
    if i <= old:  # a thousand a day, 2 to 12 hours into the day: cut-offs by whole days
        days, hours = 1100 + (i - 1) // 1000, timedelta(hours=12) - timedelta(minutes=i % 600)
        return (LOST if i % 2 else WON), NOW - timedelta(days=days) - hours
    if i % 2:
        return WON, NOW - timedelta(days=i % 1000, minutes=i % 997)
    return WORKING, NOW - timedelta(days=i % 1500)


def seller(i: int) -> tuple[str, str, str, dict[str, Any]]:
    name, phone, imei = f"Продавец {i}", f"+7999{i:07d}", f"35{i:013d}"
    raw = {
        "id": f"p-{i}",
        "buyoutPrice": 1_000_000 + i % 5_000_000,
        "itemId": i,
        "itemUrl": f"https://www.avito.ru/moskva/telefony/{i}",
        "location": {"city": f"Город {i % 40}"},
        "seller": {"name": name, "phone": phone, "userId": 10_000 + i},
        "device": {"model": f"Модель {i % 120}", "memory": "128 ГБ", "imei": imei},
    }
    return name, phone, imei, raw


def rows(first: int, last: int, old: int) -> Iterator[tuple[str, tuple[Any, ...]]]:
    for i in range(first, last):
        name, phone, imei, raw = seller(i)
        status, when = closing(i, old)
        created = when - timedelta(days=3)
        device = json.dumps({"model": raw["device"]["model"], "memory": "128 ГБ", "imei": imei})
        price = raw["buyoutPrice"]
        stage = {WON: "won", LOST: "lost"}.get(status, "negotiation")
        yield "lead", (
            i, f"p-{i}", "buyout", device, raw["device"]["model"], name, phone,
            raw["location"]["city"], raw["itemUrl"], price, price + 50_000, created,
            json.dumps(raw, ensure_ascii=False), "created", 1, 10_000_000 + i, stage, imei,
            created, created,
        )  # fmt: skip
        body = json.dumps(raw, ensure_ascii=False)
        yield "inbox", ("avito", f"lead:p-{i}", "feed", body, created, created, 0)
        yield "log", (i, f"p-{i}:0", 7000, "taken", None, "send", "webhook", created, created)
        yield "log", (i, f"p-{i}:1", status, stage, price, "send", "webhook", when, when)
        if status == WON:
            yield "outbox", (
                i, 1, f"p-{i}", "bought_out", price, when, f"p-{i}:bought_out", "sent", 1,
                when, when, when,
            )  # fmt: skip
        yield "contact", (phone, 20_000_000 + i)


def load(url: str, leads: int, old: int) -> float:
    started = time.perf_counter()
    tables = {
        "lead": f"leads ({LEAD_COLUMNS})",
        "inbox": f"inbox ({INBOX_COLUMNS})",
        "log": f"status_log ({LOG_COLUMNS})",
        "outbox": f"outbox ({OUTBOX_COLUMNS})",
        "contact": "crm_contacts (phone_e164, amo_contact_id)",
    }
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        for kind, table in tables.items():  # one COPY at a time per connection
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row_kind, row in rows(1, leads + 1, old):
                    if row_kind == kind:
                        copy.write_row(row)
        cursor.execute("SELECT setval('status_log_id_seq', (SELECT max(id) FROM status_log))")
        cursor.execute("SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))")
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def invariants(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as connection:
        return [tuple(connection.execute(query).fetchone() or ()) for query in INVARIANTS]


def personal_left(url: str, old: int) -> int:
    """Old deals still holding a phone or a name (0 once purged)."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM leads WHERE id <= %s AND (seller_phone IS NOT NULL "
            "OR seller_name <> 'удалено' OR raw_payload->'seller' <> 'null'::jsonb)",
            (old,),
        ).fetchone()
    return int(row[0]) if row else -1


def add_changes(url: str, old: int, count: int) -> None:
    """New stage changes of open deals, logged eleven minutes ago (settled for the catch-up)."""
    when = NOW - timedelta(minutes=11)
    copy_log = f"COPY status_log ({LOG_COLUMNS}) FROM STDIN"
    with psycopg.connect(url) as connection, connection.cursor().copy(copy_log) as copy:
        for n in range(count):
            lead = old + 2 + 2 * n  # even ids past the old ones are open deals
            copy.write_row((lead, f"new-{n}", LOST, "lost", None, "send", "webhook", when, when))


async def timed_purge(url: str, keep_days: int, *, dry: bool = False) -> dict[str, Any]:
    db = Database(url)
    settings = Settings(privacy=PrivacySettings(keep_closed_days=keep_days))
    try:
        purge = Purge.for_settings(db, settings, actor="bench")
        started = time.perf_counter()
        report = await (purge.dry_run() if dry else purge.run())
        elapsed = time.perf_counter() - started
    finally:
        await db.dispose()
    counts = report.counts
    return {
        "due": report.due,
        "anonymized": counts.leads,
        "events": counts.events,
        "contacts": counts.contacts,
        "seconds": round(elapsed, 2),
        "ms_per_1000": round(elapsed * 1e6 / counts.leads, 1) if counts.leads else None,
    }


def measure(leads: int, old: int) -> dict[str, Any]:
    first_days = 1100 + old // 1000 - 10  # due: the oldest 10 days of old deals
    with fresh_database() as url:
        upgrade(url, "0019")
        seeded = load(url, leads, old)
        started = time.perf_counter()
        upgrade(url)  # 0020: backfills the closing moments from the status log
        backfill = time.perf_counter() - started
        before = invariants(url)
        small = asyncio.run(timed_purge(url, first_days))
        large = asyncio.run(timed_purge(url, 1095))
        empty = asyncio.run(timed_purge(url, 1095))
        dry = asyncio.run(timed_purge(url, 1095, dry=True))
        changes = min(10_000, (leads - old) // 2)
        add_changes(url, old, changes)
        caught_up = asyncio.run(timed_purge(url, 1095))
        after = invariants(url)
        left = personal_left(url, old)
    invariant_log = after[0][0] - changes == before[0][0]
    return {
        "leads": leads,
        "seed_seconds": round(seeded, 1),
        "backfill_seconds": round(backfill, 1),
        "purge_small": small,
        "purge_large": large,
        "purge_nothing_due": empty,
        "dry_run": dry,
        "purge_after_new_changes": {"changes": changes, **caught_up},
        "scaling": round(large["seconds"] / small["seconds"], 2),
        "count_ratio": round(large["anonymized"] / max(small["anonymized"], 1), 2),
        "old_deals_with_personal_data_left": left,
        "amounts_unchanged": before[1:] == after[1:] and invariant_log,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--old", type=int, default=110_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.leads, args.old)))


if __name__ == "__main__":
    main()
