"""Build the amoCRM API client from settings: HTTP client, tokens in the database, limiter."""

from __future__ import annotations

import httpx

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoClient
from leadbridge.amocrm.tokens import AmoTokens
from leadbridge.config import AmoCrmSettings
from leadbridge.metrics import instrument
from leadbridge.ratelimit import SlidingWindowLimiter
from leadbridge.store.database import Database


def connect(settings: AmoCrmSettings, db: Database) -> AmoApi:
    http = httpx.AsyncClient(base_url=settings.base_url, timeout=settings.timeout_s)
    instrument(http, "amocrm")
    tokens = AmoTokens(db, http, settings)
    limiter = SlidingWindowLimiter.per_second(settings.rps, name="amocrm")
    client = AmoClient(
        http,
        tokens,
        limiter,
        block_probe_after_s=settings.block_probe_after_s,
        block_probe_max_s=settings.block_probe_max_s,
    )
    return AmoApi(client)
