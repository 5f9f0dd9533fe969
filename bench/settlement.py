"""Settlement of a big week on PostgreSQL: time and peak memory, computing and exporting.

    uv run python -m bench.settlement [--deals 1000000] [--small 100000] [--modes compute,freeze]

Two weeks are loaded server-side in bulk (INSERT … SELECT generate_series): one of `--small`
deals and one of `--deals`, each deal bought out and every 20th returned. Each measurement runs
in a fresh process, so its peak RSS (`ru_maxrss`) is its own; the growth over the process's RSS
before settling is what the settlement itself held. Memory that does not grow with the deal
count shows as a growth ratio near 1 between the two weeks, while time grows with the deals.

Modes: "compute" streams the lines; "export" also writes the XLSX and CSV (an open week: computed
and exported in one pass); "freeze" stores them; "export_frozen" exports a frozen week as the
dashboard's download does (`settlement.dashboard.export`), reading the stored lines back: the
export alone. It needs "freeze" before it. CPU seconds are the process's own (user + system),
which a busy shared machine inflates less than the wall-clock seconds; they include the XLSX
writer's, a process of its own, whose peak RSS is reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from leadbridge.domain.commission import CommissionRule, RuleBook
from leadbridge.domain.periods import Week
from leadbridge.settlement.dashboard import export
from leadbridge.settlement.lines import LineMaker
from leadbridge.settlement.service import SettleRequest, settle_week
from leadbridge.store import settlement as store
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SMALL_WEEK, BIG_WEEK = Week.parse("2026-W10"), Week.parse("2026-W11")
MODES = ("compute", "export", "freeze", "export_frozen")
NOW = datetime(2026, 11, 27, tzinfo=UTC)

LEADS = """
INSERT INTO leads (avito_lead_id, offer_type, device, model, seller_name, buyout_price_kopecks,
                   avito_created_at, raw_payload, deal_state, deal_attempts, created_at, updated_at)
SELECT %(prefix)s || g, 'buyout',
       jsonb_build_object('category', CASE WHEN g %% 5 = 0 THEN 'tablet' ELSE 'phone' END),
       'iPhone 12', 'bench', 500000 + (g %% 997) * 10000, %(start)s, '{}'::jsonb, 'created', 1,
       %(start)s, %(start)s
FROM generate_series(1, %(deals)s) AS g
"""
STATUSES = """
INSERT INTO outbox (lead_id, seq, avito_lead_id, status, price_kopecks, occurred_at,
                    idempotency_key, state, attempts, next_attempt_at, created_at, sent_at)
SELECT id, %(seq)s, avito_lead_id, %(status)s::varchar, buyout_price_kopecks,
       %(start)s + (id %% 500000) * interval '1 second' + %(later)s * interval '1 day',
       avito_lead_id || ':' || %(status)s::varchar, 'sent', 1, %(start)s, %(start)s, %(start)s
FROM leads WHERE avito_lead_id LIKE %(prefix)s || '%%' AND id %% %(every)s = 0
"""


def load(url: str, week: Week, prefix: str, deals: int) -> None:
    with psycopg.connect(_plain(url), autocommit=True) as connection:
        start = week.starts_at
        connection.execute(LEADS, {"prefix": prefix, "deals": deals, "start": start})
        for status, seq, later, every in (("bought_out", 6, 0, 1), ("returned", 7, 1, 20)):
            values = {"seq": seq, "status": status, "start": start, "later": later}
            connection.execute(STATUSES, {**values, "every": every, "prefix": prefix})
        connection.execute("ANALYZE")


async def measure_one(url: str, week: Week, mode: str) -> dict[str, Any]:
    """One settlement of `week` in this process: seconds, lines, RSS growth in MiB."""
    before, cpu_before = _peak_rss_mib(), _cpu_seconds()
    maker = LineMaker(RuleBook.of([CommissionRule(date(2000, 1, 1))]), "bought_out", "returned")
    db = Database(url)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        if mode == "export_frozen":
            xlsx = await export(db, maker, week, Path(folder))
            files = [xlsx, xlsx.with_suffix(".csv")]
            async with db.transaction() as session:
                period = await store.period(session, week)
            lines, total = (period.line_count, period.total_kopecks) if period else (0, 0)
        else:
            export_dir = Path(folder) if mode == "export" else None
            request = SettleRequest(week, NOW, freeze=mode == "freeze", export_dir=export_dir)
            result = await settle_week(db, maker, request, None)
            files, lines, total = result.files, result.tally.lines, result.tally.total_kopecks
        seconds = time.perf_counter() - started
        sizes = {path.suffix: path.stat().st_size for path in files}
    await db.dispose()
    return {
        "lines": lines,
        "total_kopecks": total,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(_cpu_seconds() - cpu_before, 1),
        "rss_growth_mib": round(_peak_rss_mib() - before, 1),
        # The XLSX is written by a process of its own (settlement/xlsx_aside.py): its peak.
        "writer_peak_rss_mib": round(_children_peak_rss_mib(), 1),
        "file_mib": {suffix: round(size / 2**20, 1) for suffix, size in sizes.items()},
    }


def _cpu_seconds() -> float:
    """This process's CPU and that of its finished children (the XLSX writer)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _children_peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _in_child(url: str, week: Week, mode: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.settlement", "--child", url, week.name, mode]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(deals: int, small: int, modes: tuple[str, ...] = MODES) -> dict[str, Any]:
    name = f"leadbridge_bench_{uuid.uuid4().hex[:10]}"
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        upgrade(url)
        started = time.perf_counter()
        load(url, SMALL_WEEK, "s-", small)
        load(url, BIG_WEEK, "b-", deals)
        load_s = time.perf_counter() - started
        # Freezing goes last: a frozen week is read back, no longer computed.
        runs = {
            f"{mode}_{label}": _in_child(url, week, mode)
            for mode in modes
            for label, week in (("small", SMALL_WEEK), ("big", BIG_WEEK))
        }
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))
    return {
        "deals": deals,
        "small": small,
        "load_seconds": round(load_s, 1),
        **runs,
        **_ratios(runs, modes),
    }


def _ratios(runs: dict[str, dict[str, Any]], modes: tuple[str, ...]) -> dict[str, Any]:
    ratios: dict[str, Any] = {}
    for mode in modes:
        small, big = runs[f"{mode}_small"], runs[f"{mode}_big"]
        ratios[f"{mode}_lines_ratio"] = round(big["lines"] / small["lines"], 2)
        ratios[f"{mode}_time_ratio"] = round(big["seconds"] / max(small["seconds"], 0.1), 2)
        growth = big["rss_growth_mib"] / max(small["rss_growth_mib"], 1.0)
        ratios[f"{mode}_memory_ratio"] = round(growth, 2)
        ratios[f"{mode}_lines_per_second_big"] = round(big["lines"] / big["seconds"])
        ratios[f"{mode}_lines_per_cpu_second_big"] = round(big["lines"] / big["cpu_seconds"])
    return ratios


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--modes", default=",".join(MODES), help=",".join(MODES))
    parser.add_argument("--child", nargs=3, metavar=("URL", "WEEK", "MODE"))
    args = parser.parse_args()
    if args.child:
        url, week, mode = args.child
        print(json.dumps(asyncio.run(measure_one(url, Week.parse(week), mode))))
        return
    print(json.dumps(measure(args.deals, args.small, tuple(args.modes.split(",")))))


if __name__ == "__main__":
    main()
