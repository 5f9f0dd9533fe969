"""The login page, login and logout."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from leadbridge.security.passwords import verify_password
from leadbridge.store import users
from leadbridge.web.auth import sessions
from leadbridge.web.auth.attempts import LoginAttempts
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
    attempts = _attempts(request)
    keys = (f"user:{username.casefold()}", f"ip:{request.client.host if request.client else '-'}")
    if attempts.blocked(*keys):
        # The same answer whether or not the user exists.
        return _page(request, next_path=next, error=TOO_MANY, status=429)
    async with ctx.db.transaction() as session:
        user = await users.by_name(session, username)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        attempts.failed(*keys)
        return _page(request, next_path=next, error=WRONG, status=401)
    sessions.start(request, user)
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    sessions.end(request)
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


def _attempts(request: Request) -> LoginAttempts:
    attempts = getattr(request.app.state, "login_attempts", None)
    if not isinstance(attempts, LoginAttempts):
        per_minute = context_of(request).settings.security.login_attempts_per_minute
        attempts = request.app.state.login_attempts = LoginAttempts(per_minute)
    return attempts
