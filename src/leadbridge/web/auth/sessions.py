"""Dashboard sessions: a server-side row per login, a signed cookie that names it.

The cookie is Starlette's (itsdangerous-signed JSON, HttpOnly, SameSite=Lax, Secure when the
public URL is https) and holds two random values: `sid`, the token of a row in `web_sessions`,
and `csrf`, the synchronizer token (also for the anonymous login form). Being logged in is the
row, not the cookie: logout, a new password or removing the user deletes it, and a copy of the
cookie then opens nothing. The signing key comes from settings or is generated once and kept in
the database sealed with the installed keys (`store/sealed.py`).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadbridge.config import SecuritySettings
from leadbridge.security.crypto import SecretKeyError
from leadbridge.store import tokens, users, web_sessions
from leadbridge.web.context import WebContext

log = structlog.get_logger(__name__)
COOKIE = "leadbridge_session"
SECRET_NAME = "session_secret"
# Paths that never use a session: partners and monitoring are not people with a browser.
SESSIONLESS = ("/webhooks/", "/healthz", "/readyz", "/metrics")


class DashboardSessions:
    """SessionMiddleware, built once the signing key is known: at startup, else on first use."""

    def __init__(self, app: ASGIApp, *, context: WebContext) -> None:
        self.app = app
        self._context = context
        self._inner: ASGIApp | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._on_startup(receive), send)
            return
        if scope["type"] != "http" or scope["path"].startswith(SESSIONLESS):
            await self.app(scope, receive, send)
            return
        inner = self._inner or await self._build()
        await inner(scope, receive, send)

    def _on_startup(self, receive: Receive) -> Receive:
        """Before the app reports itself started: seal what an older version left in the clear,
        and fail the start (not the first login) when the stored key cannot be opened."""

        async def receive_then_prepare() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    async with self._context.db.transaction() as session:
                        resealed = await tokens.reseal_tokens(session)
                    await self._build()
                except (SQLAlchemyError, OSError, SecretKeyError) as error:
                    # The database may come up later and /readyz says so; the first page then
                    # tries again. The message names the kind of trouble, never a value.
                    log.warning("web.sessions_not_prepared", error=type(error).__name__)
                else:
                    if resealed:
                        log.info("web.tokens_sealed", tokens=resealed)
            return message

        return receive_then_prepare

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


def timeouts(security: SecuritySettings) -> web_sessions.Timeouts:
    return web_sessions.Timeouts(
        idle=timedelta(seconds=security.session_idle_s),
        absolute=timedelta(seconds=security.session_max_age_s),
    )


def csrf_token(request: Request) -> str:
    """The session's synchronizer token, made on first use (also for the anonymous login form)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def token_of(request: Request) -> str | None:
    token = request.session.get("sid")
    return token if isinstance(token, str) else None


def begin(request: Request, token: str) -> None:
    """A fresh cookie on login: nothing of the anonymous one survives (no session fixation)."""
    request.session.clear()
    request.session.update({"sid": token, "csrf": secrets.token_urlsafe(32)})


def forget(request: Request) -> None:
    """Empty the cookie; the row, if any, is the caller's to delete."""
    request.session.clear()
