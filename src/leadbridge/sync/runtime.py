"""The processes of leadbridge: `run` (web and flows in one process, the default), `web` (only
the HTTP side) and `worker` (only the flows; any number of them on PostgreSQL).

Every process runs until SIGINT/SIGTERM cancels it; a worker then stops claiming, lets the steps
in flight finish within `process.shutdown_grace_s` and closes its connections.
"""

from __future__ import annotations

import asyncio

import httpx
import structlog

from leadbridge.amocrm.client import AmoApiError, AmoBlocked
from leadbridge.config import Settings
from leadbridge.store.database import Database
from leadbridge.sync.bridge import Bridge
from leadbridge.sync.wakeups import wakeups_for
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.pages.live import BridgeStatus
from leadbridge.web.server import serve

log = structlog.get_logger(__name__)


async def run_forever(settings: Settings) -> None:
    """`leadbridge run`: the web app and every flow in one process."""
    bridge = Bridge.from_settings(settings)
    context = WebContext(settings=settings, db=bridge.db, wakeups=bridge.wakeups)
    web = settings.web
    app = create_app(context)
    app.state.live_status = BridgeStatus(bridge)  # the overview shows amoCRM's block and limiters
    async with serve(app, host=web.host, port=web.port) as url:
        log.info("web.listening", url=url)
        try:
            await prepare_patiently(bridge)
            bridge.start()
            await _until_cancelled()
        finally:
            await bridge.stop()


async def run_web(settings: Settings) -> None:
    """`leadbridge web`: webhook endpoints, dashboard, health and metrics; no flow runs here.

    Webhooks are stored and answered; the workers find them on their next poll (or wake-up)."""
    db = Database(settings.database_url)
    context = WebContext(settings=settings, db=db, wakeups=wakeups_for(db))
    web = settings.web
    try:
        async with serve(create_app(context), host=web.host, port=web.port) as url:
            log.info("web.listening", url=url, role="web")
            await _until_cancelled()
    finally:
        await context.wakeups.aclose()
        await db.dispose()


async def run_worker(settings: Settings) -> None:
    """`leadbridge worker`: the flows (deals, stage changes, relay, periodic jobs); no HTTP."""
    bridge = Bridge.from_settings(settings, role="worker")
    try:
        await prepare_patiently(bridge)
        bridge.start()
        log.info("worker.started")
        await _until_cancelled()
    finally:
        await bridge.stop()
        log.info("worker.stopped")


PREPARE_PAUSE_S = (1.0, 2.0, 5.0, 10.0, 30.0)


async def prepare_patiently(bridge: Bridge) -> None:
    """`prepare()`, again after a partner's passing trouble (5xx, 429, a dropped connection):
    a worker started during an outage waits it out instead of exiting. A refusal that will not
    pass (bad credentials, another 4xx, bad configuration) still ends the process."""
    attempt = 0
    while True:
        try:
            await bridge.prepare()
            return
        except (httpx.HTTPError, AmoApiError) as error:
            if not _passing(error):
                raise
            pause = PREPARE_PAUSE_S[min(attempt, len(PREPARE_PAUSE_S) - 1)]
            log.warning("bridge.prepare_retry", error=type(error).__name__, pause_s=pause)
            attempt += 1
            await asyncio.sleep(pause)


def _passing(error: httpx.HTTPError | AmoApiError) -> bool:
    if isinstance(error, AmoBlocked):
        return True
    if isinstance(error, AmoApiError):
        return error.status in (0, 429) or error.status >= 500
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return status == 429 or status >= 500
    return isinstance(error, httpx.TransportError)


async def _until_cancelled() -> None:
    await asyncio.Event().wait()  # until SIGINT/SIGTERM cancels the main task
