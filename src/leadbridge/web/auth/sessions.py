"""Signed session cookies for the dashboard, and what a session holds.

The cookie is Starlette's: itsdangerous-signed JSON, HttpOnly, SameSite=Lax, Secure when the
public URL is https. The signing key comes from settings or, if unset, is generated once and kept
in the database, so that every process and every restart accepts the same cookies.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from leadbridge.store import users
from leadbridge.store.tables import DashboardUser
from leadbridge.web.context import WebContext

COOKIE = "leadbridge_session"
SECRET_NAME = "session_secret"
# Paths that never use a session: partners and monitoring are not people with a browser.
SESSIONLESS = ("/webhooks/", "/healthz", "/readyz", "/metrics")


class DashboardSessions:
    """SessionMiddleware, built on the first request once the signing key is known."""

    def __init__(self, app: ASGIApp, *, context: WebContext) -> None:
        self.app = app
        self._context = context
        self._inner: ASGIApp | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SESSIONLESS):
            await self.app(scope, receive, send)
            return
        inner = self._inner or await self._build()
        await inner(scope, receive, send)

    async def _build(self) -> ASGIApp:
        async with self._lock:
            if self._inner is None:
                settings = self._context.settings
                self._inner = SessionMiddleware(
                    self.app,
                    secret_key=await self._secret(),
                    session_cookie=COOKIE,
                    max_age=settings.security.session_max_age_s,
                    same_site="lax",
                    https_only=settings.web.public_url.startswith("https://"),
                )
            return self._inner

    async def _secret(self) -> str:
        configured = self._context.settings.security.session_secret.get_secret_value()
        if configured:
            return configured
        async with self._context.db.transaction() as session:
            return await users.generated_secret(session, SECRET_NAME, datetime.now(UTC))


def csrf_token(request: Request) -> str:
    """The session's synchronizer token, made on first use (also for the anonymous login form)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def start(request: Request, user: DashboardUser) -> None:
    """A fresh session on login: nothing of the anonymous one survives (no session fixation)."""
    request.session.clear()
    request.session.update(
        {"uid": user.id, "pw": fingerprint(user), "csrf": secrets.token_urlsafe(32)}
    )


def end(request: Request) -> None:
    request.session.clear()


def fingerprint(user: DashboardUser) -> str:
    """Part of the password hash: a new password or a re-created user ends old sessions."""
    return user.password_hash[-16:]
