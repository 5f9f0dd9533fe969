"""The FastAPI application: webhooks, dashboard, health and metrics."""

from __future__ import annotations

from fastapi import FastAPI

from leadbridge.web import dashboard, health, webhooks
from leadbridge.web.context import WebContext


def create_app(context: WebContext) -> FastAPI:
    app = FastAPI(title="leadbridge", docs_url=None, redoc_url=None)
    app.state.leadbridge = context
    app.include_router(webhooks.router)
    app.include_router(dashboard.router)
    app.include_router(health.router)
    return app
