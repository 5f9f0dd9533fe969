"""`leadbridge sandbox serve`: only the simulators, for an integrator's own setup."""

from __future__ import annotations

import asyncio
import json

from leadbridge.sandbox.amocrm import AmoSandboxConfig, create_amocrm_app
from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.web.server import serve


async def serve_simulators(*, avito_port: int, amocrm_port: int, seed: int) -> None:
    avito_app = create_avito_app(AvitoSandboxConfig(seed=seed))
    amocrm_app = create_amocrm_app(AmoSandboxConfig(seed=seed))
    avito, amocrm = avito_app.state.sandbox, amocrm_app.state.sandbox
    async with (
        serve(avito_app, port=avito_port) as avito_url,
        serve(amocrm_app, port=amocrm_port) as amocrm_url,
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
        }
        print(json.dumps(credentials), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await avito.aclose()
            await amocrm.aclose()
