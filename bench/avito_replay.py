"""Replaying held-back Avito requests under a fixed mapping: events per second, and what the
mapping layer costs against the parser alone.

    uv run python -m bench.avito_replay [--events 10000] [--databases sqlite,postgresql]

`--events` webhook bodies shaped as after the simulator's breaking change (the price moved to
`offer.price` in rubles, the phone to `contacts.phone`: `move_renamed_fields`) are stored in
quarantine, each with the reason today's mapping refuses it — in bulk, as setup, not timed. Then
the mapping written for the change (`MAPPING_AFTER_BREAK`) is installed and `replay` is timed
over all of them: each event read again, made a lead through the same intake as ever, marked
replayed. Goal: ≥ 2,000 events/s, on SQLite (a temporary file) and on PostgreSQL (a fresh
database on the local server, dropped after).

A bare events-per-second depends on the machine and on what else runs on it, so two baselines
are timed in the same run on the same bodies, with no database: the parser alone
(`read_webhook` + `parse_lead`, what replay cannot do without), giving `replay_to_parse_ratio`
(replay's time over the parser's: what the database and the bookkeeping add); and `parse_lead`
against a hand-written reading of the same fields (`_direct`), giving `mapping_cost_ratio`
(goal ≤ 1.5). Each parser timing is the fastest of five passes; the replay runs once, since it
uses up its events. The hand-written reading uses the same value readers (phone normalisation,
rubles → kopecks, dates) and builds the same `BuyoutRequest`, unknown fields included — it is
checked equal to `parse_lead`'s on every body — so the ratio is the cost of reading the paths
from the mapping file instead of from code, not of the conversions any parser must do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from leadbridge import logs
from leadbridge.avito.envelope import read_webhook
from leadbridge.avito.mapping_in_force import default_mapping, install_mapping
from leadbridge.avito.payload import MAX_PRICE_KOPECKS, PayloadError, parse_lead
from leadbridge.avito.readers import READERS
from leadbridge.config import AvitoSettings
from leadbridge.domain.lead import BuyoutRequest, DeviceCard, Seller
from leadbridge.sandbox.api_break import MAPPING_AFTER_BREAK
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.sandbox.avito.breaking import move_renamed_fields
from leadbridge.store import inbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead
from leadbridge.sync.avito_replay import replay
from leadbridge.sync.quarantine import KEY_PREFIX, readable
from leadbridge.sync.wakeups import LocalWakeups

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASES = ("sqlite", "postgresql")
GOAL_EVENTS_PER_S = 2000
GOAL_MAPPING_COST_RATIO = 1.5
BATCH = 1000  # quarantined events stored per transaction in the setup
ROUNDS = 5  # parser timings: the fastest of this many passes over all bodies


def bodies(count: int) -> list[tuple[str, str]]:
    """`count` webhook bodies after the break, each with the reason today's mapping refuses it
    (what `quarantine_avito` would have kept). One factory: the lead ids are sequential."""
    factory = LeadFactory(seed=17)
    made = []
    for _ in range(count):
        lead = move_renamed_fields(factory.make())
        body = {"id": f"e-{lead['id']}", "payload": {"type": "lead.created", "lead": lead}}
        try:
            parse_lead(lead, default_mapping())
        except PayloadError as error:
            made.append((json.dumps(body, ensure_ascii=False), str(error)))
        else:
            raise SystemExit(f"lead {lead['id']} reads under today's mapping: not after the break")
    return made


async def hold_back(db: Database, held: Sequence[tuple[str, str]]) -> None:
    """Store the bodies as `quarantine_avito` does (same key, body and reason), a thousand per
    transaction: one by one it would take two transactions each and dwarf the replay."""
    now = datetime.now(UTC)
    for start in range(0, len(held), BATCH):
        async with db.transaction() as session:
            for body, reason in held[start : start + BATCH]:
                raw = body.encode()
                await inbox.add_if_new(
                    session,
                    source="avito",
                    event_key=KEY_PREFIX + hashlib.sha256(raw).hexdigest(),
                    channel="webhook",
                    body=readable(raw),
                    now=now,
                    quarantine_reason=reason,
                )


async def timed_replay(db: Database, events: int) -> tuple[float, float]:
    """Wall and CPU seconds `replay` takes over every held-back event; fails unless each became
    a lead. CPU time is this process's (not PostgreSQL's): far below the wall time, the replay
    waits; close to it, its own Python is the cost."""
    started, cpu_started = time.perf_counter(), time.process_time()
    report = await replay(db, LocalWakeups(), actor="bench")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    async with db.transaction() as session:
        leads = int(await session.scalar(select(func.count()).select_from(Lead)) or 0)
    expected = (events, events, 0, events)
    found = (report.replayed, report.leads_created, report.still_quarantined, leads)
    if found != expected:
        raise SystemExit(
            f"replay went wrong: replayed, created, still quarantined, leads = {found}, "
            f"expected {expected}"
        )
    return seconds, cpu


# The hand-written reading: the fields of MAPPING_AFTER_BREAK at its paths, as code.
_ID, _TEXT, _INT = READERS["id"], READERS["str"], READERS["int"]
_KOPECKS, _PHONE, _WHEN = READERS["rubles_to_kopecks"], READERS["phone"], READERS["datetime"]
_LIST, _GROUPS = READERS["list"], READERS["groups"]
# What the reading reaches, per object (None: taken whole), to keep the rest as unknown fields.
_KNOWN: dict[str, frozenset[str] | None] = {
    "id": None,
    "itemId": None,
    "itemUrl": None,
    "offerType": None,
    "createdAt": None,
    "buyoutPrice": None,
    "sellerPrice": None,
    "offer": frozenset({"price"}),
    "location": frozenset({"city"}),
    "contacts": frozenset({"phone"}),
    "seller": frozenset({"name", "phone", "userId"}),
    "device": frozenset(
        {"category", "vendor", "model", "memory", "color", "ram", "batteryHealth", "imei", "kit"}
        | {"condition", "deviceHistory", "screenCondition", "caseCondition", "defects"}
    ),
}


def _direct(lead: Mapping[str, Any]) -> BuyoutRequest:
    """`lead` read by plain dict access: the minimal parser the mapping layer is weighed
    against. Only what these bodies need (no alternatives beyond the two moved fields, no
    messages naming a path), so that the ratio is an upper bound on the layer's cost."""
    device, seller = lead["device"], lead["seller"]
    price = _KOPECKS(lead["offer"]["price"])
    if price is None or not 0 <= price <= MAX_PRICE_KOPECKS:
        raise PayloadError("no buyout price", "lead.buyout_price")
    return BuyoutRequest(
        avito_lead_id=_ID(lead["id"]),
        offer_type=_TEXT(lead.get("offerType")) or "buyout",
        created_at=_WHEN(lead.get("createdAt")) or datetime.now(UTC),
        device=DeviceCard(
            category=_TEXT(device.get("category")) or "phone",
            vendor=_TEXT(device.get("vendor")) or "Apple",
            model=_TEXT(device["model"]),
            memory=_TEXT(device.get("memory")),
            color=_TEXT(device.get("color")),
            ram=_TEXT(device.get("ram")),
            battery_health=_INT(device.get("batteryHealth")),
            imei=_TEXT(device.get("imei")),
            kit=_LIST(device.get("kit")) or (),
            condition=_TEXT(device.get("condition")),
            device_history=_TEXT(device.get("deviceHistory")),
            screen_condition=_TEXT(device.get("screenCondition")),
            case_condition=_TEXT(device.get("caseCondition")),
            defects=_GROUPS(device.get("defects")) or {},
        ),
        seller=Seller(
            name=_TEXT(seller.get("name")) or "",
            phone=_PHONE(lead["contacts"]["phone"]),
            avito_user_id=_INT(seller.get("userId")),
        ),
        city=_TEXT(lead["location"]["city"]),
        item_id=_INT(lead.get("itemId")),
        item_url=_TEXT(lead.get("itemUrl")),
        buyout_price_kopecks=price,
        seller_price_kopecks=_INT(lead.get("sellerPrice")),
        unknown_fields=_unknown(lead),
    )


def _unknown(lead: Mapping[str, Any]) -> dict[str, Any]:
    unknown: dict[str, Any] = {}
    for key, value in lead.items():
        if key not in _KNOWN:
            unknown[key] = value
            continue
        inner = _KNOWN[key]
        if inner is not None and isinstance(value, Mapping):
            extras = {name: item for name, item in value.items() if name not in inner}
            if extras:
                unknown[key] = extras
    return unknown


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def parser_timings(held: Sequence[tuple[str, str]]) -> dict[str, float]:
    """The fastest of ROUNDS passes over every body, in seconds: envelope + mapping (what replay
    parses), the mapping alone, and the hand-written reading. The fastest, as timeit does: on a
    shared machine other work only ever adds time. The two lead readings alternate which goes
    first, so neither always runs on a warmer cache."""
    texts = [body for body, _reason in held]
    leads = [_lead(body) for body in texts]
    # The hand-written reading must do the same work: it gives the same request for every body.
    for lead in leads:
        if _direct(lead) != parse_lead(lead):
            raise SystemExit(f"the hand-written reading differs for lead {lead.get('id')}")

    def envelope_and_mapping() -> None:
        for body in texts:
            parse_lead(_lead(body))

    def mapping() -> None:
        for lead in leads:
            parse_lead(lead)

    def direct() -> None:
        for lead in leads:
            _direct(lead)

    runs: dict[str, list[float]] = {"parse": [], "mapping": [], "direct": []}
    for round_ in range(ROUNDS):
        runs["parse"].append(_seconds(envelope_and_mapping))
        pair = (("mapping", mapping), ("direct", direct))
        for name, work in pair if round_ % 2 == 0 else reversed(pair):
            runs[name].append(_seconds(work))
    return {name: min(seconds) for name, seconds in runs.items()}


def _lead(body: str) -> Mapping[str, Any]:
    lead = read_webhook(body).lead
    if lead is None:
        raise SystemExit("a stored body holds no lead")
    return lead


@contextlib.asynccontextmanager
async def fresh_database(kind: str) -> AsyncIterator[str]:
    """An empty, migrated database: a SQLite file in a temporary folder, or a PostgreSQL
    database of its own on the local server, dropped afterwards (as tests/databases.py does)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'replay.db'}"
            await asyncio.to_thread(upgrade, url)
            yield url
        return
    name = f"leadbridge_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


async def measure_one(kind: str, held: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Replay on one database, then the parser baselines; the after-break mapping installed."""
    events = len(held)
    async with fresh_database(kind) as url:
        db = Database(url)
        try:
            await hold_back(db, held)
            replay_s, replay_cpu_s = await timed_replay(db, events)
        finally:
            await db.dispose()
    # Right after this database's replay, in the same process: as near the same machine as a
    # shared one allows.
    parse = parser_timings(held)
    return {
        "database": kind,
        "events": events,
        "replay_seconds": round(replay_s, 2),
        "replay_cpu_seconds": round(replay_cpu_s, 2),
        "replay_events_per_s": round(events / replay_s),
        "goal_events_per_s": GOAL_EVENTS_PER_S,
        "parse_events_per_s": round(events / parse["parse"]),
        "replay_to_parse_ratio": round(replay_s / parse["parse"], 1),
        "mapping_parse_events_per_s": round(events / parse["mapping"]),
        "direct_parse_events_per_s": round(events / parse["direct"]),
        "mapping_cost_ratio": round(parse["mapping"] / parse["direct"], 2),
        "goal_mapping_cost_ratio": GOAL_MAPPING_COST_RATIO,
    }


@contextlib.contextmanager
def after_break_mapping() -> Iterator[None]:
    """The mapping written for the break in force, as after the operator's restart; the default
    one again afterwards, for whatever runs next in this process (`python -m bench`)."""
    install_mapping(AvitoSettings(mapping_file=MAPPING_AFTER_BREAK))
    try:
        yield
    finally:
        install_mapping(AvitoSettings())


async def measure(events: int, databases: Sequence[str] = DATABASES) -> list[dict[str, Any]]:
    held = bodies(events)
    with after_break_mapping():
        return [await measure_one(kind, held) for kind in databases]


async def _print_each(events: int, databases: Sequence[str]) -> None:
    """As `measure`, each database's line printed as soon as it is known (minutes apart)."""
    held = bodies(events)
    with after_break_mapping():
        for kind in databases:
            print(json.dumps(await measure_one(kind, held)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite,postgresql")
    args = parser.parse_args()
    logs.configure("WARNING")
    asyncio.run(_print_each(args.events, tuple(args.databases.split(","))))


if __name__ == "__main__":
    main()
