"""amoCRM transport: the shared limiter, Bearer auth, and the API's sharp edges.

429 comes as HTML without Retry-After, so we pause the limiter ourselves; an empty list or a
missing entity is 204 with no body; a 401 is answered by one token renewal and one replay; an
HTML 403 means the account is blocked, and then nobody calls until a lone probe succeeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime
from typing import Any

import httpx
import structlog

from leadbridge.amocrm.block import BlockGuard
from leadbridge.amocrm.tokens import AmoAuthError, AmoTokens
from leadbridge.ratelimit import RateLimiter

log = structlog.get_logger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_TRIES = 6
PROBE_PATH = "/api/v4/account"  # the cheapest read there is


class AmoApiError(RuntimeError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"amoCRM answered {status}: {detail}")
        self.status = status
        self.detail = detail


class AmoBlocked(AmoApiError):
    """amoCRM blocked the account's API; no call is made until `until` (then one probe)."""

    def __init__(self, until: datetime | None) -> None:
        super().__init__(403, f"account API blocked; next probe at {until}")
        self.until = until


class AmoClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: AmoTokens,
        limiter: RateLimiter,
        *,
        block_probe_after_s: float = 300.0,
        block_probe_max_s: float = 7200.0,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.limiter = limiter
        self.block = BlockGuard(first_pause_s=block_probe_after_s, max_pause_s=block_probe_max_s)

    @property
    def blocked_until(self) -> datetime | None:
        """None when not blocked; else the earliest time of the next probe."""
        return self.block.probe_at

    async def aclose(self) -> None:
        """Close the connections (the tokens' grants share them)."""
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        retry_statuses: Collection[int] = RETRYABLE_STATUSES,
        **kwargs: Any,
    ) -> Any:
        """The decoded JSON answer, or None for 204. Statuses outside `retry_statuses` are
        raised as `AmoApiError` at once; `AmoBlocked` while the account is blocked."""
        renewed = False
        for attempt in range(MAX_TRIES):
            await self._pass_block()
            try:
                response = await self._send(method, path, **kwargs)
            except httpx.TransportError as error:
                await self._back_off(attempt, f"transport {type(error).__name__}")
                continue
            if _is_block(response):
                self.block.refused()
                raise AmoBlocked(self.blocked_until)
            if response.status_code == 401 and not renewed:
                renewed = True
                self.tokens.invalidate()
                continue
            if response.status_code in retry_statuses:
                if response.status_code == 429:
                    await self.limiter.pause(1.0)
                await self._back_off(attempt, f"HTTP {response.status_code}")
                continue
            return _decoded(response)
        raise AmoApiError(0, f"{method} {path}: gave up after {MAX_TRIES} tries")

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = await self.tokens.access_token()
        headers = {"Authorization": f"Bearer {token}"}
        async with self.limiter.slot():
            return await self.http.request(method, path, headers=headers, **kwargs)

    async def _pass_block(self) -> None:
        """Return when calls may go; while blocked, only the one probing caller gets through,
        and only once its probe was answered by something other than the block."""
        if not self.block.active:
            return
        if not self.block.claim_probe():
            raise AmoBlocked(self.blocked_until)
        try:
            response = await self._send("GET", PROBE_PATH)
        except (httpx.TransportError, AmoAuthError):
            self.block.probe_inconclusive()
            raise AmoBlocked(self.blocked_until) from None
        except BaseException:  # cancelled: someone else must be able to probe later
            self.block.probe_inconclusive()
            raise
        if _is_block(response):
            self.block.refused()
            raise AmoBlocked(self.blocked_until)
        self.block.lifted()

    async def _back_off(self, attempt: int, why: str) -> None:
        delay = min(0.5 * 2**attempt, 8.0)
        log.warning("amocrm.retry", reason=why, delay_s=delay)
        await asyncio.sleep(delay)


def _is_block(response: httpx.Response) -> bool:
    """The rate-abuse block is nginx's HTML 403; a JSON 403 (no rights, IP not allowed) is an
    ordinary error of one call."""
    content_type = response.headers.get("content-type", "")
    return response.status_code == 403 and "json" not in content_type


def _decoded(response: httpx.Response) -> Any:
    if response.status_code == 204:
        return None
    if response.is_success:
        return response.json()
    raise AmoApiError(response.status_code, response.text[:500])
