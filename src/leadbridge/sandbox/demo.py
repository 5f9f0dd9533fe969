"""`leadbridge demo`: both simulators, the bridge, a stream of buyout requests and the managers
who work them — everything on loopback, over real HTTP, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from leadbridge.config import AmoCrmSettings, AvitoSettings, RelaySettings, Settings, WebSettings
from leadbridge.config.alerts import AlertSettings
from leadbridge.processes import running
from leadbridge.sandbox import chaos
from leadbridge.sandbox.api_break import (
    Adaptation,
    adapt_once_arrived,
    after_break_mapping,
    lost_requests,
)
from leadbridge.sandbox.demo_alerts import (
    Provocations,
    alert_settings,
    alerts_summary,
    settle_incidents,
)
from leadbridge.sandbox.demo_checks import bridge_facts, caught_up, with_demo_checks
from leadbridge.sandbox.demo_database import fresh_demo_database
from leadbridge.sandbox.demo_progress import Progress, snapshot
from leadbridge.sandbox.demo_routing import demo_routing, manager_tokens
from leadbridge.sandbox.demo_sims import DemoOptions, Simulators, simulators
from leadbridge.sandbox.demo_summary import stopped_by_user
from leadbridge.sandbox.demo_traffic import requests
from leadbridge.sandbox.invariants import check_invariants, summarize
from leadbridge.sandbox.managers import ManagerCrew
from leadbridge.sandbox.telegram.alert_sandbox import AlertSinks, alert_sandbox
from leadbridge.settlement.demo_check import with_settlement
from leadbridge.sync.bridge import Bridge
from leadbridge.web.auth.demo_user import create_demo_user

# The endless demo looks at its progress once a second; a checked run, to end soon after its
# last status, twice. The endless demo's managers look for new deals every two seconds (every
# half pace when the pace is faster): a request comes every few, and looking more often than
# that only costs CPU.
PROGRESS_S, CHECKED_PROGRESS_S = 1.0, 0.5
NEW_DEALS_POLL_S = 2.0
# The safety nets behind the webhooks, Avito's feed and amoCRM's events, are read every 5 s
# and 2 s where webhooks are lost on purpose or a run must end soon after its last status;
# otherwise every 30 s, as the safety nets they are: each read costs CPU, and a frequent read
# of amoCRM's events only races the webhooks still on their way.
NET_POLL_S, FAST_FEED_POLL_S, FAST_EVENTS_POLL_S = 30.0, 5.0, 2.0
# The bridge's flows look for work they were not woken for every `relay.idle_poll_s`. The demo
# is one process, where every wake-up arrives, and a relay retry wakes at its due time anyway:
# the endless demo looks every 5 s, not every second, for a fraction of its idle CPU.
ENDLESS_IDLE_POLL_S = 5.0


def bridge_settings(
    options: DemoOptions, sims: Simulators, database_url: str, sinks: AlertSinks | None = None
) -> Settings:
    """The demo's bridge against `sims`; alerts go to `sinks` (none: no channel)."""
    amo = sims.amocrm.config
    return Settings(
        database_url=database_url,
        funnel_file=options.funnel_file,
        avito=AvitoSettings(
            base_url=sims.avito_url,
            client_id=sims.avito.config.client_id,
            client_secret=sims.avito.config.client_secret,
            webhook_secret=secrets.token_urlsafe(16),
            feed_poll_interval_s=_feed_poll_s(options),
        ),
        amocrm=AmoCrmSettings(
            base_url=sims.amocrm_url,
            client_id=amo.client_id,
            client_secret=amo.client_secret,
            redirect_uri=amo.redirect_uri,
            auth_code=sims.amocrm.issue_auth_code(),
            events_poll_interval_s=_events_poll_s(options),
            account_id=amo.account_id,
            # Under --chaos amoCRM blocks the account for seconds, not for support's hours.
            block_probe_after_s=1.0 if options.chaos else 300.0,
        ),
        web=WebSettings(
            port=options.port,
            public_url=f"http://127.0.0.1:{options.port}",
            webhook_token=secrets.token_urlsafe(24),
        ),
        alerts=alert_settings(sinks, compressed=options.chaos) if sinks else AlertSettings(),
        routing=demo_routing(sims.amocrm),  # each city's deals to its team (sandbox/demo_routing)
        relay=(
            RelaySettings(idle_poll_s=ENDLESS_IDLE_POLL_S) if options.endless else RelaySettings()
        ),
    )


def _feed_poll_s(options: DemoOptions) -> float:
    return NET_POLL_S if _webhooks_suffice(options) else FAST_FEED_POLL_S


def _events_poll_s(options: DemoOptions) -> float:
    return NET_POLL_S if _webhooks_suffice(options) else FAST_EVENTS_POLL_S


def _webhooks_suffice(options: DemoOptions) -> bool:
    """The endless demo without faults: every webhook arrives, nothing waits on a read."""
    return options.endless and not options.faulty


def _say(line: str) -> None:
    print(line, flush=True)


async def run_demo(options: DemoOptions, out: Callable[[str], None] = _say) -> dict[str, Any]:
    """Run the demo; in check mode, return the invariant results once every lead is closed.

    Ctrl+C ends a demo without `--check` as a person ends it: with an account of what was done
    and `{"interrupted": true, …}` — no invariant is judged on requests still in flight."""
    started = time.monotonic()
    async with (
        simulators(options.seed) as sims,
        alert_sandbox() as sinks,
        fresh_demo_database(options.database_url) as url,
    ):
        settings = bridge_settings(options, sims, url, sinks)
        provoked = Provocations() if options.chaos else None
        async with running(settings, name="demo") as process:
            bridge = process.bridge
            assert bridge is not None
            out(await create_demo_user(process.db))
            if options.chaos:
                chaos.turn_on(sims.avito, sims.amocrm, options.seed)
            out(f"Дашборд: {process.url}/   Авито: {sims.avito_url}   amoCRM: {sims.amocrm_url}")
            out(f"Оповещения в Telegram-симуляторе: {sinks.telegram_url}/sandbox/messages")
            operator = Adaptation()
            try:
                await _drive(options, sims, bridge, operator, provoked)
            except asyncio.CancelledError:
                # Ctrl+C ends an open-ended demo: stop the flows, then say what was done.
                task = asyncio.current_task()
                if task is None or options.check:
                    raise
                task.uncancel()
                return await stopped_by_user(process.db, sims, out, time.monotonic() - started)
            final = await snapshot(process.db, sims.avito, sims.amocrm)
            if provoked is not None:
                await settle_incidents(process.db, provoked)
            alerts = await alerts_summary(process.db, sinks, provoked)
            facts = await bridge_facts(process.db, settings)
        avito_state, amocrm_state = sims.avito.state_json(), sims.amocrm.state_json()
        result = check_invariants(
            avito_state=avito_state,
            amocrm_state=amocrm_state,
            funnel=settings.funnel,
            avito_names=after_break_mapping().wire.statuses.ours if options.api_break else None,
        )
        result = with_demo_checks(
            result, facts, settings, avito_state=avito_state, amocrm_state=amocrm_state
        )
        if options.api_break:
            lost = lost_requests(avito_state, amocrm_state, settings.funnel)
            result |= operator.to_json(lost)
            result["ok"] = result["ok"] and lost == 0
        if options.chaos:
            chaos.calm(sims.avito)
        result = await with_settlement(result, settings)
        result["alerts"] = alerts
        if provoked is not None:
            result["ok"] = result["ok"] and alerts["ok"]
        out("Итог: " + final.line(options.leads))
        out(summarize(result))
        if options.chaos:
            result["chaos"] = chaos.injected(sims.avito, sims.amocrm)
        return result


async def _drive(
    options: DemoOptions,
    sims: Simulators,
    bridge: Bridge,
    operator: Adaptation,
    provoked: Provocations | None,
) -> None:
    crew = ManagerCrew(
        amocrm_url=sims.amocrm_url,
        person_token=sims.amocrm.issue_person_token(),
        funnel=bridge.settings.funnel,
        seed=options.seed,
        time_scale=options.time_scale,
        user_tokens=manager_tokens(sims.amocrm),
        first_call_wait_s=30.0,
        new_deals_poll_s=(
            min(NEW_DEALS_POLL_S, 0.5 / options.leads_per_second) if options.endless else None
        ),
    )
    managers = asyncio.create_task(crew.run(stop_when_all_closed=options.leads))
    background: list[asyncio.Task[Any]] = []
    traffic = asyncio.create_task(requests(sims, options, bridge, provoked, background))
    background += [managers, traffic]
    progress = Progress(total=options.leads, stream=sys.stderr)
    deadline = time.monotonic() + options.timeout_s
    database_lost = False
    try:
        while True:
            try:
                if options.api_break and traffic.done():
                    await adapt_once_arrived(bridge, operator, progress)
                if await _progressed(bridge, sims, progress, managers, traffic):
                    return
                database_lost = False
            except (SQLAlchemyError, OSError) as error:
                # The flows ride out a database outage under their supervisor; so does the demo.
                if not database_lost:
                    progress.note(f"база данных недоступна ({type(error).__name__}), жду её")
                database_lost = True
            if options.leads is not None and time.monotonic() > deadline:
                progress.note("время вышло: не все заявки дошли до конца")
                return
            await asyncio.sleep(PROGRESS_S if options.endless else CHECKED_PROGRESS_S)
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _progressed(
    bridge: Bridge,
    sims: Simulators,
    progress: Progress,
    managers: asyncio.Task[Any],
    traffic: asyncio.Task[None],
) -> bool:
    """Show where the demo stands; True once every request is done and nothing is in flight."""
    state = await snapshot(bridge.db, sims.avito, sims.amocrm)
    progress.show(state)
    if not (managers.done() and traffic.done() and state.settled):
        return False
    managers.result()
    # One catch-up pass after the last move: a change whose webhook is still being retried by
    # amoCRM is taken from the events API instead.
    return await bridge.catch_up.run_once() == 0 and await caught_up(bridge.db, sims.avito)
