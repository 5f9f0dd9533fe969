"""What a demo is asked to do, and the two simulators it runs on, served over loopback HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from leadbridge.sandbox.amocrm import AmoSandbox, AmoSandboxConfig, create_amocrm_app
from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.web.server import serve


@dataclass(frozen=True, slots=True)
class DemoOptions:
    leads: int | None  # None: run until interrupted
    check: bool
    port: int
    seed: int
    database_url: str
    funnel_file: Path
    leads_per_second: float
    time_scale: float  # manager delays: 1.0 is real time
    timeout_s: float
    chaos: bool = False  # the simulators' fault profile (sandbox/chaos.py)
    api_break: bool = False  # Avito's breaking change midway, then an operator adapts

    @property
    def endless(self) -> bool:
        """Run until Ctrl+C, at a pace a person can follow (`make demo`)."""
        return self.leads is None

    @property
    def faulty(self) -> bool:
        return self.chaos or self.api_break


@dataclass
class Simulators:
    avito: AvitoSandbox
    amocrm: AmoSandbox
    avito_url: str
    amocrm_url: str


@contextlib.asynccontextmanager
async def simulators(seed: int) -> AsyncIterator[Simulators]:
    avito_app = create_avito_app(AvitoSandboxConfig(seed=seed))
    amocrm_app = create_amocrm_app(AmoSandboxConfig(seed=seed))
    avito, amocrm = avito_app.state.sandbox, amocrm_app.state.sandbox
    avito.retry_delay_scale = amocrm.retry_delay_scale = 0.01
    async with serve(avito_app) as avito_url, serve(amocrm_app) as amocrm_url:
        try:
            yield Simulators(avito, amocrm, avito_url, amocrm_url)
        finally:
            await avito.aclose()
            await amocrm.aclose()
