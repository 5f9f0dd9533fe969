"""`leadbridge run`: the web app and the bridge's flows in one process until SIGTERM."""

from __future__ import annotations

import asyncio

import structlog

from leadbridge.config import Settings
from leadbridge.sync.bridge import Bridge
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.pages.live import BridgeStatus
from leadbridge.web.server import serve

log = structlog.get_logger(__name__)


async def run_forever(settings: Settings) -> None:
    bridge = Bridge.from_settings(settings)
    context = WebContext(settings=settings, db=bridge.db, wakeups=bridge.wakeups)
    web = settings.web
    app = create_app(context)
    app.state.live_status = BridgeStatus(bridge)  # the overview shows amoCRM's block and limiters
    async with serve(app, host=web.host, port=web.port) as url:
        log.info("web.listening", url=url)
        try:
            await bridge.prepare()
            bridge.start()
            await asyncio.Event().wait()  # until cancelled by SIGINT/SIGTERM
        finally:
            await bridge.stop()
