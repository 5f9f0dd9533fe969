"""amoCRM transport: the shared limiter, Bearer auth, and the API's sharp edges.

429 comes as HTML without Retry-After, so we pause the limiter ourselves; an empty list or a
missing entity is 204 with no body; a 401 is answered by one token renewal and one replay.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import structlog

from leadbridge.amocrm.tokens import AmoTokens
from leadbridge.ratelimit import RateLimiter

log = structlog.get_logger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_TRIES = 6


class AmoApiError(RuntimeError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"amoCRM answered {status}: {detail}")
        self.status = status
        self.detail = detail


class AmoClient:
    def __init__(self, http: httpx.AsyncClient, tokens: AmoTokens, limiter: RateLimiter) -> None:
        self.http = http
        self.tokens = tokens
        self.limiter = limiter

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON answer, or None for 204."""
        renewed = False
        for attempt in range(MAX_TRIES):
            token = await self.tokens.access_token()
            headers = {"Authorization": f"Bearer {token}"}
            try:
                async with self.limiter.slot():
                    response = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as error:
                await self._back_off(attempt, f"transport {type(error).__name__}")
                continue
            if response.status_code == 401 and not renewed:
                renewed = True
                self.tokens.invalidate()
                continue
            if response.status_code in RETRYABLE_STATUSES:
                if response.status_code == 429:
                    self.limiter.push_back(1.0)
                await self._back_off(attempt, f"HTTP {response.status_code}")
                continue
            return _decoded(response)
        raise AmoApiError(0, f"{method} {path}: gave up after {MAX_TRIES} tries")

    async def _back_off(self, attempt: int, why: str) -> None:
        delay = min(0.5 * 2**attempt, 8.0)
        log.warning("amocrm.retry", reason=why, delay_s=delay)
        await asyncio.sleep(delay)


def _decoded(response: httpx.Response) -> Any:
    if response.status_code == 204:
        return None
    if response.is_success:
        return response.json()
    raise AmoApiError(response.status_code, response.text[:500])
