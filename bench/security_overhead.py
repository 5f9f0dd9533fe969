"""What the security layer costs, measured in one run on one database:

- webhooks: amoCRM webhooks per second through the full app (body limit, hardening headers,
  correlation ids, sessions, CSRF) against the bare endpoint without that middleware;
- the server-side session store: dashboard requests per second (a minimal page behind the login,
  and the leads page) and webhooks per second, against the same app whose login is the signed
  cookie alone (the user id in the cookie, the user read by id: how sessions worked before);
- argon2 off the event loop: /healthz answer times while a burst of logins is being checked.

    uv run python -m bench.security_overhead [--requests 600] [--rounds 3]
        [--database-url postgresql://postgres@127.0.0.1/leadbridge_bench]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import httpx
import itsdangerous
from fastapi import Depends, FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from leadbridge.config import AmoCrmSettings, SecuritySettings, Settings, WebSettings
from leadbridge.security.passwords import hash_password
from leadbridge.store import users
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web import webhooks
from leadbridge.web.app import create_app
from leadbridge.web.auth import CurrentUser, require_login
from leadbridge.web.auth.sessions import COOKIE, SECRET_NAME
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

TOKEN = "bench-webhook-token"
ACCOUNT = 31000001
CONCURRENCY = 8
USER, PASSWORD = "bench", "bench-password"
LOGIN_BURST = 16
Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def _bare_app(context: WebContext) -> FastAPI:
    app = FastAPI()
    app.state.leadbridge = context
    app.include_router(webhooks.router)
    return app


def _app(context: WebContext, *, cookie_only: bool) -> FastAPI:
    """The real app plus a minimal page behind the login; with `cookie_only`, who is logged in
    comes from the signed cookie alone, as before sessions were kept in the database."""
    app = create_app(context)

    @app.get("/bench/probe")
    async def probe(user: Annotated[CurrentUser, Depends(require_login)]) -> dict[str, str]:
        return {"user": user.name}

    if cookie_only:
        # Innermost, inside the session middleware: the guard finds the user already known.
        app.user_middleware.append(Middleware(_UserFromCookie, db=context.db))
    return app


class _UserFromCookie:
    """The former login check: the user id from the signed cookie, the user read by id."""

    def __init__(self, app: ASGIApp, *, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        uid = scope.get("session", {}).get("uid")
        if isinstance(uid, int):
            async with self.db.transaction() as session:
                row = await users.by_id(session, uid)
            if row is not None:
                state = scope.setdefault("state", {})
                state["user"] = CurrentUser(id=row.id, name=row.name, role=row.role)
        await self.app(scope, receive, send)


def _signed_cookie(secret: str, data: dict[str, object]) -> str:
    """The cookie Starlette's SessionMiddleware would have written for `data`."""
    payload = base64.b64encode(json.dumps(data).encode())
    return itsdangerous.TimestampSigner(secret).sign(payload).decode()


def _webhook(offset: int) -> Request:
    async def send(http: httpx.AsyncClient, n: int) -> httpx.Response:
        body = urlencode(
            {
                "leads[status][0][id]": str(offset + n),
                "leads[status][0][status_id]": "7",
                "account[id]": str(ACCOUNT),
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return await http.post(f"/webhooks/amocrm/{TOKEN}", content=body, headers=headers)

    return send


def _page(path: str) -> Request:
    async def send(http: httpx.AsyncClient, _n: int) -> httpx.Response:
        return await http.get(path)

    return send


async def _rate(http: httpx.AsyncClient, send: Request, requests: int) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            answer = await send(http, queue.get_nowait())
            assert answer.status_code == 200, (answer.status_code, answer.text[:200])

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return requests / (time.monotonic() - started)


async def _login(http: httpx.AsyncClient) -> None:
    form = (await http.get("/login")).text
    csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
    data = {"username": USER, "password": PASSWORD, "csrf_token": csrf}
    assert (await http.post("/login", data=data)).status_code == 303


async def _healthz_during_logins(url: str) -> dict[str, float]:
    """/healthz answer times alone, then while LOGIN_BURST logins are checked at once."""
    async with httpx.AsyncClient(base_url=url) as http:

        async def probe(times: list[float], until: asyncio.Event) -> None:
            while not until.is_set():
                started = time.monotonic()
                assert (await http.get("/healthz")).status_code == 200
                times.append(time.monotonic() - started)
                await asyncio.sleep(0.01)

        quiet: list[float] = []
        done = asyncio.Event()
        task = asyncio.create_task(probe(quiet, done))
        await asyncio.sleep(0.5)
        done.set()
        await task

        form = (await http.get("/login")).text
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        busy: list[float] = []
        done = asyncio.Event()
        task = asyncio.create_task(probe(busy, done))
        started = time.monotonic()
        await asyncio.gather(
            *(
                http.post(
                    "/login", data={"username": USER, "password": f"wrong-{n}", "csrf_token": csrf}
                )
                for n in range(LOGIN_BURST)
            )
        )
        burst_s = time.monotonic() - started
        done.set()
        await task
    return {
        "login_burst": LOGIN_BURST,
        "login_burst_s": round(burst_s, 3),
        "healthz_quiet_max_ms": round(1000 * max(quiet), 1),
        "healthz_during_logins_max_ms": round(1000 * max(busy), 1),
    }


async def measure(
    requests: int, rounds: int, database_url: str | None = None
) -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory() as directory:
        url = database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        return await _measure(url, requests, rounds)


async def _measure(url: str, requests: int, rounds: int) -> dict[str, float | int | str]:
    upgrade(url)
    db = Database(url)
    settings = Settings(
        database_url=url,
        web=WebSettings(webhook_token=TOKEN),
        amocrm=AmoCrmSettings(account_id=ACCOUNT),
        # The burst below is about the event loop, not the throttle: let every login through.
        security=SecuritySettings(login_attempts_per_minute=10_000),
    )
    context = WebContext(settings=settings, db=db, wakeups=LocalWakeups())
    async with db.transaction() as session:
        if await users.by_name(session, USER) is None:
            await users.add_user(
                session,
                name=USER,
                role="admin",
                password_hash=hash_password(PASSWORD),
                now=datetime.now(UTC),
            )
    rates: dict[str, list[float]] = {}
    offset = 0
    async with AsyncExitStack() as stack:
        served = {
            "bare": await stack.enter_async_context(serve(_bare_app(context))),
            "cookie": await stack.enter_async_context(serve(_app(context, cookie_only=True))),
            "store": await stack.enter_async_context(serve(_app(context, cookie_only=False))),
        }
        clients = {
            name: await stack.enter_async_context(httpx.AsyncClient(base_url=base))
            for name, base in served.items()
        }
        await _login(clients["store"])
        async with db.transaction() as session:
            secret = await users.generated_secret(session, SECRET_NAME, datetime.now(UTC))
            user = await users.by_name(session, USER)
        assert user is not None
        clients["cookie"].cookies.set(COOKIE, _signed_cookie(secret, {"uid": user.id}))
        order = ["bare", "cookie", "store"]
        for _ in range(rounds):  # interleaved and rotated, so that drift hits every variant alike
            order = order[1:] + order[:1]
            for variant in order:
                offset += requests
                rate = await _rate(clients[variant], _webhook(offset), requests)
                rates.setdefault(f"{variant}_webhook", []).append(rate)
            for variant in ("cookie", "store"):
                for page, path in (("probe", "/bench/probe"), ("leads", "/leads")):
                    rate = await _rate(clients[variant], _page(path), requests)
                    rates.setdefault(f"{variant}_{page}", []).append(rate)
        healthz = await _healthz_during_logins(served["store"])
    await db.dispose()
    median = {name: statistics.median(values) for name, values in rates.items()}
    return {
        "database": url.split(":", 1)[0],
        "requests_per_round": requests,
        "rounds": rounds,
        "bare_webhooks_per_s": round(median["bare_webhook"], 1),
        "secured_webhooks_per_s": round(median["store_webhook"], 1),
        "secured_over_bare": round(median["store_webhook"] / median["bare_webhook"], 3),
        "cookie_only_probe_per_s": round(median["cookie_probe"], 1),
        "session_store_probe_per_s": round(median["store_probe"], 1),
        "session_store_over_cookie_probe": round(median["store_probe"] / median["cookie_probe"], 3),
        "session_store_over_cookie_leads": round(median["store_leads"] / median["cookie_leads"], 3),
        "session_store_over_cookie_webhook": round(
            median["store_webhook"] / median["cookie_webhook"], 3
        ),
        **healthz,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.requests, args.rounds, args.database_url))))


if __name__ == "__main__":
    main()
