"""The FastAPI application: webhooks, dashboard, health and metrics."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from leadbridge.web import dashboard, health, webhooks
from leadbridge.web.auth import csrf, guard, login, sessions
from leadbridge.web.context import WebContext
from leadbridge.web.correlation import CorrelationIds
from leadbridge.web.failures import ServerErrors
from leadbridge.web.headers import SecurityHeaders
from leadbridge.web.limits import BodyLimit
from leadbridge.web.pages import static

# Every page of the dashboard needs a logged-in user; a router may narrow it to roles.
LOGGED_IN = [Depends(guard.require_login)]


def create_app(context: WebContext) -> FastAPI:
    app = FastAPI(title="leadbridge", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.leadbridge = context
    app.include_router(webhooks.router)
    app.include_router(login.router)
    app.include_router(static.router)  # htmx and the style sheets, the login page's too
    app.include_router(dashboard.router, dependencies=LOGGED_IN)
    app.include_router(health.router)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(DataError, _value_refused_by_database)
    app.add_exception_handler(guard.LoginRequired, guard.login_required_handler)
    # Outermost last: the client's address (from a trusted proxy only), hardening headers and a
    # request id on every answer (a failure's 500 too), then the body limit, the session, and
    # the CSRF check.
    app.add_middleware(csrf.CsrfProtection)
    app.add_middleware(sessions.DashboardSessions, context=context)
    app.add_middleware(BodyLimit, max_bytes=context.settings.web.max_body_bytes)
    app.add_middleware(ServerErrors)
    app.add_middleware(CorrelationIds)
    app.add_middleware(SecurityHeaders)
    proxies = context.settings.web.trusted_proxies
    if proxies:  # uvicorn is started without its own: see server.py
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    return app


async def _database_unavailable(_request: Request, _error: Exception) -> JSONResponse:
    """A busy or unreachable database: 503 tells the sender to retry; nothing was stored."""
    return JSONResponse({"detail": "database unavailable, retry later"}, status_code=503)


async def _value_refused_by_database(_request: Request, _error: Exception) -> JSONResponse:
    """A value the database cannot hold or compare (PostgreSQL refuses a NUL character in any
    text, a search box included): the request's fault, not the server's."""
    return JSONResponse(
        {"detail": "a value in the request cannot be stored or searched for"}, status_code=400
    )
