"""Build the amoCRM API client from settings: HTTP client, tokens in the database, limiter."""

from __future__ import annotations

import httpx

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoClient
from leadbridge.amocrm.tokens import AmoTokens
from leadbridge.config import AmoCrmSettings
from leadbridge.metrics import instrument
from leadbridge.ratelimit import DatabaseLimiter
from leadbridge.store.database import Database

AMO_MARGIN_S = 0.15


def connect(settings: AmoCrmSettings, db: Database) -> AmoApi:
    http = httpx.AsyncClient(base_url=settings.base_url, timeout=settings.timeout_s)
    instrument(http, "amocrm")
    tokens = AmoTokens(db, http, settings)
    # In the database: every worker of the integration shares amoCRM's one per-integration
    # limit. A wide margin, because a request that lands early in amoCRM's window is a 429, and
    # ten of them block the whole account for 15 minutes.
    limiter = DatabaseLimiter(
        db, "amocrm:integration", max(int(settings.rps), 1), margin_s=AMO_MARGIN_S
    )
    client = AmoClient(
        http,
        tokens,
        limiter,
        block_probe_after_s=settings.block_probe_after_s,
        block_probe_max_s=settings.block_probe_max_s,
    )
    return AmoApi(client)
