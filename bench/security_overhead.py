"""What the security layer costs a webhook: amoCRM webhooks per second through the full app
(body limit, hardening headers, correlation ids, sessions, CSRF) against the same endpoint in an
app without that middleware, in the same run, on the same database.

    uv run python -m bench.security_overhead [--requests 600] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI

from leadbridge.config import AmoCrmSettings, Settings, WebSettings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web import webhooks
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

TOKEN = "bench-webhook-token"
ACCOUNT = 31000001
CONCURRENCY = 8


def _bare_app(context: WebContext) -> FastAPI:
    app = FastAPI()
    app.state.leadbridge = context
    app.include_router(webhooks.router)
    return app


async def _rate(app: FastAPI, requests: int, offset: int) -> float:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(offset, offset + requests):
        queue.put_nowait(n)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                body = urlencode(
                    {
                        "leads[status][0][id]": str(n),
                        "leads[status][0][status_id]": "7",
                        "account[id]": str(ACCOUNT),
                    }
                )
                answer = await http.post(f"/webhooks/amocrm/{TOKEN}", content=body)
                assert answer.status_code == 200, answer.text

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return requests / (time.monotonic() - started)


async def measure(requests: int, rounds: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)
        db = Database(url)
        settings = Settings(
            database_url=url,
            web=WebSettings(webhook_token=TOKEN),
            amocrm=AmoCrmSettings(account_id=ACCOUNT),
        )
        context = WebContext(settings=settings, db=db, wakeups=LocalWakeups())
        bare, secured = [], []
        for round_ in range(rounds):  # interleaved, so that drift hits both alike
            bare.append(await _rate(_bare_app(context), requests, 2 * round_ * requests))
            secured.append(await _rate(create_app(context), requests, (2 * round_ + 1) * requests))
        await db.dispose()
    return {
        "requests_per_round": requests,
        "rounds": rounds,
        "bare_webhooks_per_s": round(statistics.median(bare), 1),
        "secured_webhooks_per_s": round(statistics.median(secured), 1),
        "secured_over_bare": round(statistics.median(secured) / statistics.median(bare), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.requests, args.rounds))))


if __name__ == "__main__":
    main()
