"""`leadbridge sandbox serve`: only the simulators, for an integrator's own setup: Avito,
amoCRM, and the alert channels' far ends (the Telegram Bot API simulator, the SMTP sink)."""

from __future__ import annotations

import asyncio
import json

from leadbridge.sandbox import chaos
from leadbridge.sandbox.amocrm import AmoSandboxConfig, create_amocrm_app
from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.telegram import alert_sandbox
from leadbridge.web.server import serve


async def serve_simulators(
    *,
    avito_port: int,
    amocrm_port: int,
    seed: int,
    chaos_midway_s: float | None = None,
    telegram_port: int = 0,
    smtp_port: int = 0,
) -> None:
    """Serve the simulators; with `chaos_midway_s` the fault profile of Avito's and amoCRM's is
    on from the start and Avito's schema changes (and amoCRM's tokens expire) that many seconds
    in. The alert sinks take no part in chaos: their faults are switched over HTTP."""
    avito_app = create_avito_app(AvitoSandboxConfig(seed=seed))
    amocrm_app = create_amocrm_app(AmoSandboxConfig(seed=seed))
    avito, amocrm = avito_app.state.sandbox, amocrm_app.state.sandbox
    background: list[asyncio.Task[None]] = []
    if chaos_midway_s is not None:
        chaos.turn_on(avito, amocrm, seed)
        background.append(asyncio.create_task(chaos.midway_after(avito, amocrm, chaos_midway_s)))
    async with (
        serve(avito_app, port=avito_port) as avito_url,
        serve(amocrm_app, port=amocrm_port) as amocrm_url,
        alert_sandbox(telegram_port=telegram_port, smtp_port=smtp_port) as alert_sinks,
    ):
        credentials = {
            "avito": {
                "base_url": avito_url,
                "client_id": avito.config.client_id,
                "client_secret": avito.config.client_secret,
            },
            "amocrm": {
                "base_url": amocrm_url,
                "client_id": amocrm.config.client_id,
                "client_secret": amocrm.config.client_secret,
                "redirect_uri": amocrm.config.redirect_uri,
                "auth_code": amocrm.issue_auth_code(),
            },
            **alert_sinks.credentials(),
        }
        print(json.dumps(credentials), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            for task in background:
                task.cancel()
            await avito.aclose()
            await amocrm.aclose()
