"""The one assembly of leadbridge's processes: the database, the partners' clients, the flows and
the web app, for `run`, `web`, `worker`, `demo` and the benches.

`async with running(settings, roles=…)` migrates the database before anything listens (a
dashboard's first request never meets a missing table), serves the web app when asked, prepares
and starts the flows when asked, and on leaving stops the flows (steps in flight may finish
within `process.shutdown_grace_s`), the server and the connections, in that order.

`/healthz` says the process is alive as soon as it listens; `/readyz` says it is ready (the
database answers, amoCRM can be called, every loop passes).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import structlog

from leadbridge.amocrm.client import AmoApiError, AmoBlocked
from leadbridge.avito.client import WebhookUnreachable
from leadbridge.avito.mapping_in_force import install_mapping
from leadbridge.config import Settings
from leadbridge.domain.retry import is_transient
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.bridge import Bridge
from leadbridge.sync.wakeups import Wakeups, wakeups_for
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.pages.live import BridgeStatus
from leadbridge.web.server import serve

log = structlog.get_logger(__name__)
PREPARE_PAUSE_S = (1.0, 2.0, 5.0, 10.0, 30.0)


class Roles(enum.Flag):
    WEB = enum.auto()  # webhook endpoints, dashboard, health, metrics
    FLOWS = enum.auto()  # deals, stage changes, relay, periodic jobs
    ALL = WEB | FLOWS


@dataclass(frozen=True, slots=True)
class Running:
    settings: Settings
    db: Database
    wakeups: Wakeups
    bridge: Bridge | None  # None without Roles.FLOWS
    url: str | None  # the web app's base URL; None without Roles.WEB


def role_name(roles: Roles) -> str:
    """How the process is named in logs and on the dashboard's list of processes."""
    return {Roles.ALL: "run", Roles.FLOWS: "worker", Roles.WEB: "web"}[roles]


@contextlib.asynccontextmanager
async def running(
    settings: Settings, *, roles: Roles = Roles.ALL, name: str | None = None
) -> AsyncIterator[Running]:
    """The process with `roles`, running until the block exits. `name` overrides the role's
    name on the dashboard (the demo)."""
    install_mapping(settings.avito)  # a bad copy of Avito's mapping stops the start in one line
    await asyncio.to_thread(upgrade, settings.database_url)
    bridge = (
        Bridge.from_settings(settings, role=name or role_name(roles))
        if Roles.FLOWS in roles
        else None
    )
    db = bridge.db if bridge else Database(settings.database_url)
    wakeups = bridge.wakeups if bridge else wakeups_for(db)
    # Undone in reverse: the flows stop first, then the server, then the connections close.
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(_close, bridge, db, wakeups)
        url = await stack.enter_async_context(_served(settings, db, wakeups, bridge, roles))
        if bridge is not None:
            stack.push_async_callback(bridge.halt, settings.process.shutdown_grace_s)
            await prepare_patiently(bridge)
            bridge.start()
        yield Running(settings, db, wakeups, bridge, url)


async def _close(bridge: Bridge | None, db: Database, wakeups: Wakeups) -> None:
    if bridge is not None:
        await bridge.stop()  # also closes the database and the wake-ups it made
        return
    await wakeups.aclose()
    await db.dispose()


@contextlib.asynccontextmanager
async def _served(
    settings: Settings, db: Database, wakeups: Wakeups, bridge: Bridge | None, roles: Roles
) -> AsyncIterator[str | None]:
    if Roles.WEB not in roles:
        yield None
        return
    app = create_app(WebContext(settings=settings, db=db, wakeups=wakeups))
    if bridge is not None:
        app.state.live_status = BridgeStatus(bridge)  # the overview shows amoCRM's block, limits
    async with serve(app, host=settings.web.host, port=settings.web.port) as url:
        log.info("web.listening", url=url, role=role_name(roles))
        yield url


async def run_until_cancelled(settings: Settings, roles: Roles) -> None:
    """`leadbridge run`, `web` or `worker`: until SIGINT/SIGTERM cancels the main task."""
    async with running(settings, roles=roles):
        log.info("process.started", role=role_name(roles))
        await asyncio.Event().wait()


async def prepare_patiently(bridge: Bridge) -> None:
    """`prepare()`, again after a partner's passing trouble (5xx, 429, a dropped connection, or
    Avito not reaching our webhook URL — our `web` process may start after this one, or be busy):
    a worker started during an outage waits it out instead of exiting. A refusal that will not
    pass (bad credentials, another 4xx, bad configuration) still ends the process."""
    attempt = 0
    while True:
        try:
            await bridge.prepare()
            return
        except (httpx.HTTPError, AmoApiError, WebhookUnreachable) as error:
            if not isinstance(error, WebhookUnreachable) and not _passing(error):
                raise
            pause = PREPARE_PAUSE_S[min(attempt, len(PREPARE_PAUSE_S) - 1)]
            log.warning("bridge.prepare_retry", error=type(error).__name__, pause_s=pause)
            attempt += 1
            await asyncio.sleep(pause)


def _passing(error: httpx.HTTPError | AmoApiError) -> bool:
    if isinstance(error, AmoBlocked):
        return True
    if isinstance(error, AmoApiError):
        return error.status == 0 or is_transient(error.status)
    if isinstance(error, httpx.HTTPStatusError):
        return is_transient(error.response.status_code)
    return isinstance(error, httpx.TransportError)
