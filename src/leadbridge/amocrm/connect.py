"""Build the amoCRM API client from settings: HTTP client, tokens in the database, limiter."""

from __future__ import annotations

import httpx

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoClient
from leadbridge.amocrm.tokens import AmoTokens
from leadbridge.config import AmoCrmSettings
from leadbridge.metrics import instrument
from leadbridge.ratelimit import DatabaseLimiter, RateLimiter, SlidingWindowLimiter
from leadbridge.store.database import Database

AMO_MARGIN_S = 0.05


def connect(settings: AmoCrmSettings, db: Database) -> AmoApi:
    http = httpx.AsyncClient(base_url=settings.base_url, timeout=settings.timeout_s)
    instrument(http, "amocrm")
    tokens = AmoTokens(db, http, settings)
    # In the database: every worker of the integration shares amoCRM's one per-integration
    # limit. A wider margin than Avito's (50 ms a window, 0.95 of the limit at most), because a
    # request that lands early in amoCRM's window is a 429 and ten of them block the whole
    # account for 15 minutes; the carried-over overrun of each request covers slow answers.
    # On SQLite (one process by design) it stays in the process: a limiter's own write would
    # queue behind a transaction waiting for the very request it limits.
    limiter: RateLimiter = (
        DatabaseLimiter(db, "amocrm:integration", max(int(settings.rps), 1), margin_s=AMO_MARGIN_S)
        if db.is_postgres
        else SlidingWindowLimiter.per_second(settings.rps, name="amocrm")
    )
    client = AmoClient(
        http,
        tokens,
        limiter,
        block_probe_after_s=settings.block_probe_after_s,
        block_probe_max_s=settings.block_probe_max_s,
    )
    return AmoApi(client)
