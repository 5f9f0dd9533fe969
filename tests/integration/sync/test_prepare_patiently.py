"""A worker started while a partner answers 5xx waits the outage out instead of exiting."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.acceptance.processes import free_port

from leadbridge.config import DEFAULT_FUNNEL
from leadbridge.processes import prepare_patiently
from leadbridge.sandbox.demo import bridge_settings
from leadbridge.sandbox.demo_sims import DemoOptions, Simulators, simulators
from leadbridge.sync.bridge import Bridge
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio


def _options(tmp_path: Path) -> tuple[str, DemoOptions]:
    """A bridge on a SQLite file of its own, against the demo's simulators."""
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    options = DemoOptions(
        leads=1, check=True, port=free_port(), seed=1, database_url=url,
        funnel_file=DEFAULT_FUNNEL, leads_per_second=1.0, time_scale=1.0, timeout_s=60.0,
    )  # fmt: skip
    return url, options


async def test_prepare_is_retried_through_an_avito_outage(tmp_path: Path) -> None:
    url, options = _options(tmp_path)
    async with simulators(options.seed) as sims:
        settings = bridge_settings(options, sims, url)
        bridge = Bridge.from_settings(settings)
        web = create_app(WebContext(settings=settings, db=bridge.db, wakeups=bridge.wakeups))
        async with serve(web, port=options.port):
            try:
                await _outage_then_recovery(sims, bridge)
            finally:
                await bridge.stop(0.0)


async def _outage_then_recovery(sims: Simulators, bridge: Bridge) -> None:
    sims.avito.set_faults(error_rate=1.0)
    preparing = asyncio.create_task(prepare_patiently(bridge))
    for _ in range(3000):
        if sims.avito.faults.counters.server_errors >= 2:
            break
        await asyncio.sleep(0.01)

    assert not preparing.done()  # the first 5xx did not end it
    sims.avito.set_faults(error_rate=0.0)
    await asyncio.wait_for(preparing, timeout=30.0)

    assert sims.avito.webhooks.subscription is not None


async def test_a_worker_started_before_the_web_process_waits_for_it(tmp_path: Path) -> None:
    """Avito refuses the webhook while nothing answers its ping at our URL: the worker waits
    for the web process instead of exiting."""
    url, options = _options(tmp_path)
    async with simulators(options.seed) as sims:
        settings = bridge_settings(options, sims, url)
        bridge = Bridge.from_settings(settings)
        try:
            preparing = asyncio.create_task(prepare_patiently(bridge))
            for _ in range(3000):
                if sims.avito.state_json()["stats"]["requests"].get("webhook", 0) >= 1:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)
            assert not preparing.done()  # the refused registration did not end it
            assert sims.avito.webhooks.subscription is None

            web = create_app(WebContext(settings=settings, db=bridge.db, wakeups=bridge.wakeups))
            async with serve(web, port=options.port):
                await asyncio.wait_for(preparing, timeout=30.0)
            assert sims.avito.webhooks.subscription is not None
        finally:
            await bridge.stop(0.0)
