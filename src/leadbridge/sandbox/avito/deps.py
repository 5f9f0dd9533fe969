"""Request dependencies of the partner API: the sandbox, the limiter, the bearer token."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

from fastapi import Request

from leadbridge.sandbox.avito.errors import ApiError
from leadbridge.sandbox.avito.middleware import RATE_HEADERS_KEY
from leadbridge.sandbox.avito.sandbox import AvitoSandbox
from leadbridge.sandbox.avito.tokens import TokenCheck


def sandbox_of(request: Request) -> AvitoSandbox:
    return cast(AvitoSandbox, request.app.state.sandbox)


def limited(method: str) -> Callable[[Request], Awaitable[None]]:
    """Counts the request under `method`; past the limit answers 429 without Retry-After."""

    async def check_limit(request: Request) -> None:
        decision = sandbox_of(request).limiter.hit(method)
        request.scope.get(RATE_HEADERS_KEY, []).extend(decision.headers())
        if not decision.allowed:
            raise ApiError(429, "Too many requests")

    return check_limit


async def inject_faults(request: Request) -> None:
    """The fault profile's verdict on this request: delayed, 5xx, or a 429 of a burst."""
    fault = sandbox_of(request).faults.next()
    if fault.delay_s > 0:
        await asyncio.sleep(fault.delay_s)
    if fault.status is not None:
        raise ApiError(fault.status, fault.message)


async def require_token(request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    check = sandbox_of(request).tokens.check(token if scheme.lower() == "bearer" else None)
    if check is TokenCheck.UNKNOWN:
        raise ApiError(401, "Unauthorized")
    if check is TokenCheck.EXPIRED:
        raise ApiError(403, "token expired")
