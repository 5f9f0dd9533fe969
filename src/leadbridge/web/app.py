"""The FastAPI application: webhooks, dashboard, health and metrics."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from leadbridge.web import dashboard, health, webhooks
from leadbridge.web.context import WebContext


def create_app(context: WebContext) -> FastAPI:
    app = FastAPI(title="leadbridge", docs_url=None, redoc_url=None)
    app.state.leadbridge = context
    app.include_router(webhooks.router)
    app.include_router(dashboard.router)
    app.include_router(health.router)
    app.add_exception_handler(OperationalError, _database_unavailable)
    return app


async def _database_unavailable(_request: Request, _error: Exception) -> JSONResponse:
    """A busy or unreachable database: 503 tells the sender to retry; nothing was stored."""
    return JSONResponse({"detail": "database unavailable, retry later"}, status_code=503)
