"""Run every benchmark once and print one JSON line each: `uv run python -m bench`."""

from __future__ import annotations

import asyncio
import json
import tempfile

from bench import (
    amocrm_deals,
    amocrm_routing,
    avito_replay,
    avito_status_apply,
    dashboard_pages,
    security_overhead,
    settlement,
)
from leadbridge import logs


def main() -> None:
    logs.configure("WARNING")
    print(json.dumps({"avito_status_apply": asyncio.run(avito_status_apply.measure(20.0, 5))}))
    print(json.dumps({"amocrm_deals": asyncio.run(amocrm_deals.measure(5000, 140))}))
    print(json.dumps({"amocrm_routing": asyncio.run(amocrm_routing.measure(3000, 2))}))
    print(json.dumps({"settlement": settlement.measure(1_000_000, 100_000)}))  # PostgreSQL
    for replayed in asyncio.run(avito_replay.measure(10_000)):  # SQLite, then PostgreSQL
        print(json.dumps({"avito_replay": replayed}))
    print(json.dumps({"security_overhead": asyncio.run(security_overhead.measure(600, 3))}))
    with tempfile.TemporaryDirectory() as directory:
        pages = dashboard_pages.measure(f"sqlite:///{directory}/pages.db", 2000, 10, 15)
        print(json.dumps({"dashboard_pages": asyncio.run(pages)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
