"""An Avito sandbox served over real HTTP with an AvitoClient pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from leadbridge.avito.client import AvitoClient
from leadbridge.avito.results import StatusUpdate
from leadbridge.config import AvitoSettings
from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.web.server import serve

CHAIN = (
    "accepted",
    "contacted",
    "price_agreed",
    "pickup_scheduled",
    "device_received",
    "bought_out",
)
START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@dataclass
class Rig:
    sandbox: AvitoSandbox
    client: AvitoClient
    admin: httpx.AsyncClient  # the sandbox's admin endpoints, over the same HTTP

    async def post_admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.admin.post(path, json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def stats(self) -> dict[str, Any]:
        return dict(self.sandbox.state_json()["stats"])


@asynccontextmanager
async def rig(config: AvitoSandboxConfig | None = None, **settings: Any) -> AsyncIterator[Rig]:
    sandbox_config = config or AvitoSandboxConfig(method_rps={})
    app = create_avito_app(sandbox_config)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as admin:
        client = AvitoClient(
            AvitoSettings(
                base_url=url,
                client_id=sandbox_config.client_id,
                client_secret=sandbox_config.client_secret,
                **settings,
            )
        )
        try:
            yield Rig(app.state.sandbox, client, admin)
        finally:
            await client.aclose()


def update(lead_id: str, step: int, *, key: str | None = None) -> StatusUpdate:
    """The `step`-th status of the chain for `lead_id`, with a key unique to that step."""
    status = CHAIN[step]
    return StatusUpdate(
        lead_id=lead_id,
        status=status,
        occurred_at=START + timedelta(minutes=step),
        idempotency_key=key or f"{lead_id}:{step + 1}",
        price_kopecks=3_000_000 if status in ("price_agreed", "bought_out") else None,
    )
