"""Avito's client_credentials token: one request at a time, renewed before it expires."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

from leadbridge.config import AvitoSettings
from leadbridge.ratelimit import RateLimiter

RENEW_BEFORE_EXPIRY_S = 300.0


class AvitoAuthError(RuntimeError):
    """Avito refused our client credentials: the configuration is wrong."""


class AvitoToken:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: AvitoSettings,
        limiter: RateLimiter | None = None,
        *,
        path: str = "/token",
    ) -> None:
        self._http = http
        self._path = path
        # Avito limits the token method too (1 req/s): workers starting together share it.
        self._limiter = limiter
        self._settings = settings
        self._value: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:  # single flight: concurrent callers share one token request
            if self._value is None or time.monotonic() >= self._expires_at:
                await self._fetch()
            assert self._value is not None
            return self._value

    def invalidate(self, value: str) -> None:
        """Forget `value` after Avito rejected it (401, or 403 for an expired token)."""
        if self._value == value:
            self._value = None

    async def _fetch(self) -> None:
        slot = self._limiter.slot() if self._limiter else contextlib.nullcontext(0.0)
        async with slot:
            response = await self._http.post(
                self._path,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._settings.client_id,
                    "client_secret": self._settings.client_secret.get_secret_value(),
                },
            )
        if response.status_code in (400, 401, 403):
            raise AvitoAuthError(f"Avito refused the client credentials ({response.status_code})")
        response.raise_for_status()
        body = response.json()
        self._value = str(body["access_token"])
        lifetime = float(body.get("expires_in", 86400))
        self._expires_at = time.monotonic() + max(lifetime - RENEW_BEFORE_EXPIRY_S, lifetime / 2)
