"""Who is logged in, and whether their role may open a page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from leadbridge.security.roles import ROLES, permits
from leadbridge.store import web_sessions
from leadbridge.web.auth import sessions
from leadbridge.web.context import context_of


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int
    name: str
    role: str


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


async def current_user(request: Request) -> CurrentUser:
    cached = getattr(request.state, "user", None)
    if isinstance(cached, CurrentUser):
        return cached
    token = sessions.token_of(request)
    if token is None:
        raise LoginRequired
    ctx = context_of(request)
    timeouts = sessions.timeouts(ctx.settings.security)
    async with ctx.db.transaction() as session:
        row = await web_sessions.user_of(session, token, ctx.now(), timeouts)
    if row is None:
        # Logged out, timed out, password changed or user removed: the cookie is a stranger's.
        sessions.forget(request)
        raise LoginRequired
    user = CurrentUser(id=row.id, name=row.name, role=row.role)
    request.state.user = user
    return user


def require_role(*roles: str) -> Callable[[Request], Awaitable[CurrentUser]]:
    """A dependency: the logged-in user if their role is one of `roles` (admin always is)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    wanted = roles or ROLES

    async def dependency(request: Request) -> CurrentUser:
        user = await current_user(request)
        if not permits(user.role, wanted):
            raise HTTPException(status_code=403, detail="your role may not open this page")
        return user

    return dependency


require_login = require_role()


async def login_required_handler(request: Request, _error: Exception) -> Response:
    if request.headers.get("HX-Request"):
        # htmx would swap a login page into a fragment; ask it to load the page instead.
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    if request.method not in ("GET", "HEAD"):
        return JSONResponse({"detail": "login required"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
