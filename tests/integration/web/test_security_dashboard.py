"""Dashboard access over real HTTP: login, sessions, roles and CSRF, on both databases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import iter_route_contexts
from tests.dashboard_login import add_user, csrf_of, login

from leadbridge.config import SecuritySettings, Settings, WebSettings
from leadbridge.security.passwords import hash_password
from leadbridge.store import users
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.auth import CurrentUser, require_role
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
PUBLIC = ("/webhooks/", "/healthz", "/readyz", "/metrics", "/login", "/static/")


@dataclass
class Dashboard:
    url: str
    db: Database

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url)


def _probe_router() -> APIRouter:
    """Stand-ins for pages of each role, so that roles are tested apart from any one page."""
    router = APIRouter()

    @router.get("/probe/finance", dependencies=[Depends(require_role("finance"))])
    async def finance_page() -> dict[str, str]:
        return {"page": "finance"}

    @router.post("/probe/operator")
    async def operator_action(
        user: Annotated[CurrentUser, Depends(require_role("operator"))],
    ) -> dict[str, str]:
        return {"done_by": user.name}

    return router


@pytest.fixture
async def dashboard(database_url: str) -> AsyncIterator[Dashboard]:
    upgrade(database_url)
    settings = Settings(
        database_url=database_url,
        web=WebSettings(webhook_token="hook-token"),  # type: ignore[arg-type]
        security=SecuritySettings(login_attempts_per_minute=3),
    )
    db = Database(database_url)
    app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    app.include_router(_probe_router())
    await add_user(db, "olga", "operator", password="olga-password")
    await add_user(db, "fedor", "finance", password="fedor-password")
    async with serve(app) as url:
        yield Dashboard(url, db)
    await db.dispose()


async def test_every_dashboard_page_sends_a_stranger_to_the_login_page(
    dashboard: Dashboard,
) -> None:
    async with dashboard.client() as http:
        app_routes = await _get_routes(dashboard)
        for path in app_routes:
            answer = await http.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login?next="), path


async def _get_routes(dashboard: Dashboard) -> list[str]:
    settings = Settings(database_url=dashboard.db.url)
    app = create_app(WebContext(settings=settings, db=dashboard.db, wakeups=LocalWakeups()))
    # A page with a path parameter is tried with a made-up value: login comes before lookup.
    paths = [
        re.sub(r"\{[^}]+\}", "1", route.path)
        for route in iter_route_contexts(app.routes)
        if "GET" in (route.methods or ())
    ]
    pages = [path for path in paths if not path.startswith(PUBLIC)]
    assert "/" in pages
    return pages


async def test_login_opens_the_dashboard_and_logout_closes_it(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        csrf = await login(http, "olga", "olga-password")
        assert (await http.get("/")).status_code == 200

        answer = await http.post("/logout", data={"csrf_token": csrf})

        assert answer.status_code == 303
        assert (await http.get("/")).status_code == 303


async def test_session_cookie_is_httponly_and_samesite_lax(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        page = await http.get("/login")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # the public URL is not https here


async def test_pages_may_not_be_framed_by_other_sites(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        page = await http.get("/login")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"


async def test_htmx_request_without_login_is_told_to_load_the_login_page(
    dashboard: Dashboard,
) -> None:
    async with dashboard.client() as http:
        answer = await http.get("/", headers={"HX-Request": "true"})
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"] == "/login"


@pytest.mark.parametrize("password", ["wrong-password", ""])
async def test_wrong_password_and_unknown_user_get_the_same_answer(
    dashboard: Dashboard, password: str
) -> None:
    async with dashboard.client() as http:
        csrf = csrf_of((await http.get("/login")).text)
        wrong = await http.post(
            "/login", data={"username": "olga", "password": password, "csrf_token": csrf}
        )
        unknown = await http.post(
            "/login", data={"username": "nobody", "password": password, "csrf_token": csrf}
        )
    assert wrong.status_code == unknown.status_code
    assert wrong.status_code in (401, 422)
    assert wrong.text.replace("olga", "") == unknown.text.replace("nobody", "")


async def test_repeated_failures_are_refused_even_with_the_right_password(
    dashboard: Dashboard,
) -> None:
    async with dashboard.client() as http:
        csrf = csrf_of((await http.get("/login")).text)
        for _ in range(3):
            data = {"username": "olga", "password": "guess-guess", "csrf_token": csrf}
            assert (await http.post("/login", data=data)).status_code == 401
        right = {"username": "olga", "password": "olga-password", "csrf_token": csrf}
        blocked = await http.post("/login", data=right)
        ghost = {"username": "ghost", "password": "guess-guess", "csrf_token": csrf}
        same_address = await http.post("/login", data=ghost)
    assert blocked.status_code == 429
    assert same_address.status_code == 429  # the address is limited too


async def test_login_redirects_only_within_the_site(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        csrf = csrf_of((await http.get("/login")).text)
        data = {
            "username": "olga",
            "password": "olga-password",
            "csrf_token": csrf,
            "next": "//evil.example/",
        }
        answer = await http.post("/login", data=data)
    assert answer.headers["location"] == "/"


async def test_wrong_role_is_forbidden(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        await login(http, "olga", "olga-password")
        assert (await http.get("/probe/finance")).status_code == 403
    async with dashboard.client() as http:
        await login(http, "fedor", "fedor-password")
        assert (await http.get("/probe/finance")).status_code == 200


async def test_dashboard_posts_need_the_sessions_csrf_token(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        csrf = await login(http, "olga", "olga-password")
        missing = await http.post("/probe/operator")
        wrong_field = await http.post("/probe/operator", data={"csrf_token": "forged"})
        wrong_header = await http.post("/probe/operator", headers={"X-CSRF-Token": "forged"})
        by_field = await http.post("/probe/operator", data={"csrf_token": csrf})
        by_header = await http.post("/probe/operator", headers={"X-CSRF-Token": csrf})
    assert [missing.status_code, wrong_field.status_code, wrong_header.status_code] == [403] * 3
    assert by_field.json() == by_header.json() == {"done_by": "olga"}


async def test_a_token_from_another_session_is_refused(dashboard: Dashboard) -> None:
    async with dashboard.client() as mine, dashboard.client() as theirs:
        await login(mine, "olga", "olga-password")
        their_csrf = await login(theirs, "olga", "olga-password")
        answer = await mine.post("/probe/operator", headers={"X-CSRF-Token": their_csrf})
    assert answer.status_code == 403


async def test_login_form_itself_needs_the_csrf_token(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        answer = await http.post("/login", data={"username": "olga", "password": "olga-password"})
    assert answer.status_code == 403


async def test_a_tampered_session_cookie_is_a_stranger(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        await login(http, "olga", "olga-password")
        cookie = http.cookies["leadbridge_session"]
        http.cookies.set("leadbridge_session", cookie[:-3] + "AAA")
        assert (await http.get("/")).status_code == 303


async def test_a_new_password_or_removal_ends_open_sessions(dashboard: Dashboard) -> None:
    async with dashboard.client() as olga, dashboard.client() as fedor:
        await login(olga, "olga", "olga-password")
        await login(fedor, "fedor", "fedor-password")
        async with dashboard.db.transaction() as session:
            assert await users.set_password(session, "olga", hash_password("another-password"))
            assert await users.remove_user(session, "fedor")
        assert (await olga.get("/")).status_code == 303
        assert (await fedor.get("/")).status_code == 303
        await login(olga, "olga", "another-password")
        assert (await olga.get("/")).status_code == 200


def _app(db: Database, **web: str) -> FastAPI:
    settings = Settings(database_url=db.url, web=WebSettings(**web))  # type: ignore[arg-type]
    return create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))


async def test_a_generated_session_key_is_kept_for_other_processes(dashboard: Dashboard) -> None:
    async with dashboard.client() as http:
        await login(http, "olga", "olga-password")
        cookie = http.cookies["leadbridge_session"]
    # Another process (or a restart) over the same database: the same key, the same session.
    async with serve(_app(dashboard.db)) as url, httpx.AsyncClient(base_url=url) as other:
        other.cookies.set("leadbridge_session", cookie)
        assert (await other.get("/")).status_code == 200


async def test_the_cookie_is_secure_when_the_public_url_is_https(dashboard: Dashboard) -> None:
    app = _app(dashboard.db, public_url="https://bridge.example.com")
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        page = await http.get("/login")
    assert "secure" in page.headers["set-cookie"].lower()
