"""The relay from the outbox to Avito: engine overhead with the limit lifted, and throughput
as a fraction of Avito's limit when it binds.

    uv run python -m bench.relay_engine [--database URL] [--leads 400] [--rps 5] [--loops 1]

`--leads` leads each queue the five statuses of the chain; the relay sends them all, in batches
of up to 100 (one status per lead per batch). Without `--rps` every limit is lifted and the
result is status events per second of the engine itself (database + HTTP on loopback); with
`--rps N` the simulator allows N status-apply requests a second, the relay uses the shared
database limiter, and the result is the fraction of that limit reached (goal ≥ 0.95, no 429).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from leadbridge import logs
from leadbridge.avito.client import AvitoClient
from leadbridge.config import AvitoSettings, RelaySettings
from leadbridge.domain.lead import BuyoutRequest, DeviceCard, Seller
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.demo_database import fresh_demo_database
from leadbridge.store import leads, outbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.avito_limiters import shared_limiters
from leadbridge.sync.relay import Relay
from leadbridge.web.server import serve

CHAIN = ("accepted", "contacted", "price_agreed", "pickup_scheduled", "device_received")
LIFTED_RPS = 100_000
PROMPT = RelaySettings(backoff_base_s=0.01, backoff_max_s=0.05)


def _request(avito_id: str, now: datetime) -> BuyoutRequest:
    device = DeviceCard(
        category="phone", vendor="Apple", model="iPhone 12", memory="128 ГБ", color="синий",
        ram=None, battery_health=90, imei=None, kit=(), condition="Б/у", device_history=None,
        screen_condition=None, case_condition=None,
    )  # fmt: skip
    return BuyoutRequest(
        avito_lead_id=avito_id, offer_type="buyout", created_at=now, device=device,
        seller=Seller(name="Бенч", phone="+79990000000"), city="Пермь", item_id=1,
        item_url=None, buyout_price_kopecks=3_000_000, seller_price_kopecks=3_500_000,
    )  # fmt: skip


async def _queue(db: Database, sandbox: AvitoSandbox, count: int) -> None:
    now = datetime.now(UTC)
    planned = [
        PlannedStatus(status, price_kopecks=3_000_000 if status == "price_agreed" else None)
        for status in CHAIN
    ]
    async with db.transaction() as session:
        for _ in range(count):
            avito_id = str(sandbox.add_lead()["id"])
            lead_id = await leads.add_if_new(session, _request(avito_id, now), {}, now)
            assert lead_id is not None
            await outbox.enqueue(
                session, lead_id=lead_id, avito_lead_id=avito_id, statuses=planned,
                occurred_at=now, now=now,
            )  # fmt: skip


@contextlib.asynccontextmanager
async def fresh_database(database_url: str) -> AsyncIterator[str]:
    """An empty database: the SQLite file given (removed first), or a new PostgreSQL one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        async with fresh_demo_database(database_url) as fresh:
            yield fresh
        return
    path = Path(url.database or "bench-relay.db")
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    yield database_url


async def _drain(relays: list[Relay], relay: Relay, total: int) -> None:
    """One relay loop, as in a worker, until all relays together have sent `total`."""
    while sum(r.sent for r in relays) < total:
        if await relay.run_once() == 0:
            due = await relay.seconds_until_due()
            await asyncio.sleep(min(due if due is not None else 0.01, 0.05))


async def measure(
    database_url: str, lead_count: int, rps: int | None, loops: int = 1
) -> dict[str, Any]:
    limit = rps or LIFTED_RPS
    config = AvitoSandboxConfig(method_rps={"token": 100, "status_apply": limit, "leads_get": 5})
    app = create_avito_app(config)
    sandbox: AvitoSandbox = app.state.sandbox
    async with fresh_database(database_url) as url, serve(app) as base:
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        settings = AvitoSettings(
            base_url=base, client_id=config.client_id, client_secret=config.client_secret,
            status_apply_rps=limit,
        )  # fmt: skip
        limiters = shared_limiters(db, settings) if rps else None
        avito = AvitoClient(settings, limiters=limiters)
        relays = [Relay(db=db, avito=avito, settings=PROMPT, chain=CHAIN) for _ in range(loops)]
        await _queue(db, sandbox, lead_count)
        total = lead_count * len(CHAIN)
        started = time.monotonic()
        await asyncio.gather(*(_drain(relays, relay, total) for relay in relays))
        elapsed = time.monotonic() - started
        await avito.aclose()
        await db.dispose()
    stats = sandbox.state_json()["stats"]
    requests = int(stats["requests"].get("status_apply", 0))
    result: dict[str, Any] = {
        "database": url.split(":", 1)[0],
        "relay_loops": loops,
        "statuses": total,
        "seconds": round(elapsed, 2),
        "statuses_per_second": round(total / elapsed, 1),
        "requests": requests,
        "http_429": int(stats["rate_limited"].get("status_apply", 0)),
    }
    if rps:
        result |= {"limit_rps": rps, "fraction_of_limit": round(requests / elapsed / rps, 3)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default="sqlite:///./bench-relay.db")
    parser.add_argument("--leads", type=int, default=400)
    parser.add_argument("--rps", type=int, default=None)
    parser.add_argument("--loops", type=int, default=1, help="relay loops, as in N workers")
    args = parser.parse_args()
    logs.configure("WARNING")
    print(json.dumps(asyncio.run(measure(args.database, args.leads, args.rps, args.loops))))


if __name__ == "__main__":
    main()
