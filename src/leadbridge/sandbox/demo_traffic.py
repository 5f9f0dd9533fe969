"""The demo's stream of buyout requests: their pace, the sellers who edit and withdraw some, and
the faults and alert causes switched on at their moment of the stream."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from leadbridge.sandbox import chaos
from leadbridge.sandbox.api_break import break_api
from leadbridge.sandbox.demo_alerts import Provocations
from leadbridge.sandbox.demo_sellers import Sellers
from leadbridge.sandbox.demo_sims import DemoOptions, Simulators
from leadbridge.sync.bridge import Bridge


async def requests(
    sims: Simulators,
    options: DemoOptions,
    bridge: Bridge,
    provoked: Provocations | None,
    background: list[asyncio.Task[Any]],
) -> None:
    count, planned = 0, options.leads or 100
    pause = pauses(options)
    # Sellers withdraw and edit a few requests (sandbox/demo_sellers.py); not under --api-break,
    # whose operator replays what the old mapping could not read, which is about new requests.
    sellers = Sellers(
        sims.avito,
        seed=options.seed,
        planned=0 if options.api_break else options.leads,
        time_scale=options.time_scale,
    )
    async with sellers:
        while options.leads is None or count < options.leads:
            sellers.arrived(str(sims.avito.add_lead()["id"]))
            count += 1
            if provoked is not None:
                # The causes the alerts must catch, one after another (sandbox/demo_alerts.py).
                if count == planned // 5:
                    await provoked.block_amocrm(sims.amocrm)
                if count == 2 * planned // 5:
                    background.append(asyncio.create_task(provoked.park_a_status(bridge.db)))
                if count == 3 * planned // 5:
                    await provoked.fall_silent()
            if options.chaos and count == planned // 2:
                chaos.midway(sims.avito, sims.amocrm)
            if provoked is not None and count == options.leads:
                provoked.traffic_ended_at = datetime.now(UTC)
            if options.api_break and count == planned // 2:
                break_api(sims.avito)
            await asyncio.sleep(next(pause))


def pauses(options: DemoOptions) -> Iterator[float]:
    """Seconds before each next request. The endless demo's requests come irregularly, as
    people send them: from half to one and a half of the pace, by the seed."""
    rng = random.Random(f"{options.seed}:pace")
    while True:
        spread = rng.uniform(0.5, 1.5) if options.endless else 1.0
        yield spread / options.leads_per_second
