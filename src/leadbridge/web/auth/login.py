"""The login page, login and logout."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from leadbridge.security.passwords import verify_password_off_loop
from leadbridge.store import users, web_sessions
from leadbridge.web.auth import sessions
from leadbridge.web.auth.attempts import LoginThrottle
from leadbridge.web.context import context_of

router = APIRouter(tags=["login"])
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
WRONG = "Неверное имя или пароль"
TOO_MANY = "Слишком много попыток входа. Подождите минуту."


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> Response:
    return _page(request, next_path=next)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: str = Form(max_length=64),
    password: str = Form(max_length=256),
    next: str = Form("/"),
) -> Response:
    ctx = context_of(request)
    throttle = _throttle(request)
    address = request.client.host if request.client else "-"
    # Counted before the password is checked: concurrent guesses share one budget.
    admission = await throttle.admit(ctx.db, username, address, time.time())
    if not admission.admitted:
        # The same answer whether or not the user exists.
        return _page(request, next_path=next, error=TOO_MANY, status=429)
    if admission.delay_s:
        await asyncio.sleep(admission.delay_s)
    async with ctx.db.transaction() as session:
        user = await users.by_name(session, username)
    right = await verify_password_off_loop(user.password_hash if user else None, password)
    if not right or user is None:
        return _page(request, next_path=next, error=WRONG, status=401)
    await throttle.succeeded(ctx.db, username, address)
    now = ctx.now()
    async with ctx.db.transaction() as session:
        await web_sessions.forget_expired(session, now, sessions.timeouts(ctx.settings.security))
        token = await web_sessions.start(session, user.id, now)
    sessions.begin(request, token)
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    token = sessions.token_of(request)
    if token is not None:
        async with context_of(request).db.transaction() as session:
            await web_sessions.end(session, token)
    sessions.forget(request)
    return RedirectResponse("/login", status_code=303)


def _page(request: Request, *, next_path: str, error: str = "", status: int = 200) -> Response:
    context = {
        "csrf_token": sessions.csrf_token(request),
        "next": _local(next_path),
        "error": error,
    }
    return templates.TemplateResponse(request, "login.html", context, status_code=status)


def _local(path: str) -> str:
    """Only a path of this site: `next` must not send a fresh login to someone else's page."""
    if path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return "/"


def _throttle(request: Request) -> LoginThrottle:
    security = context_of(request).settings.security
    return LoginThrottle(
        per_address=security.login_attempts_per_minute,
        per_user=security.login_user_attempts_per_minute,
    )
