"""The ASGI app of the Avito partner sandbox."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from leadbridge.sandbox.avito import admin, routes
from leadbridge.sandbox.avito.config import AvitoSandboxConfig
from leadbridge.sandbox.avito.errors import install_error_handlers
from leadbridge.sandbox.avito.middleware import RateHeadersMiddleware
from leadbridge.sandbox.avito.sandbox import AvitoSandbox


def create_avito_app(
    config: AvitoSandboxConfig | None = None, *, clock: Callable[[], float] = time.monotonic
) -> FastAPI:
    """The partner API plus /sandbox admin endpoints; `app.state.sandbox` holds the state.

    `clock` drives token expiry and the rate windows, so a test can move time on instead of
    sleeping through it."""
    sandbox = AvitoSandbox(config, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await sandbox.aclose()

    app = FastAPI(title="Avito partner API sandbox", lifespan=lifespan)
    app.state.sandbox = sandbox
    install_error_handlers(app)
    app.include_router(routes.router)
    app.include_router(admin.router)
    app.add_middleware(RateHeadersMiddleware)
    return app
