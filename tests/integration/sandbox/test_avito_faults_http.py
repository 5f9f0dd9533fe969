import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request

from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.serving import serve

CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "avito-demo-client",
    "client_secret": "avito-demo-secret",
}
FEED = "/partner/buyout/v1/leads/get"
APPLY = "/partner/buyout/v1/leads/statuses/apply"
ACCEPTED = {
    "leadId": "b-1",
    "status": "accepted",
    "occurredAt": "2026-05-04T12:00:00+03:00",
    "idempotencyKey": "b-1:1",
}


@asynccontextmanager
async def sandbox_client(seed: int = 0) -> AsyncIterator[httpx.AsyncClient]:
    app = create_avito_app(AvitoSandboxConfig(method_rps={}, seed=seed))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


async def set_faults(client: httpx.AsyncClient, **knobs: Any) -> httpx.Response:
    return await client.post("/sandbox/faults", json=knobs)


async def feed_status(client: httpx.AsyncClient) -> int:
    return (await client.post(FEED, json={})).status_code


@pytest.mark.anyio
async def test_profile_is_off_by_default_and_validated() -> None:
    async with sandbox_client() as client:
        default = (await client.get("/sandbox/state")).json()["faults"]
        too_likely = await set_faults(client, error_rate=2.0)
        unknown = await set_faults(client, gremlins=1)
        changed = await set_faults(client, error_rate=0.5, latency_s=0.01)
    assert default["error_rate"] == 0.0
    assert default["burst_429_probability"] == 0.0
    assert default["expire_tokens_at_request"] is None
    assert (too_likely.status_code, unknown.status_code) == (400, 400)
    assert changed.json()["error_rate"] == 0.5
    assert changed.json()["latency_s"] == 0.01


@pytest.mark.anyio
async def test_server_errors_hit_every_api_call_but_not_the_admin_endpoints() -> None:
    async with sandbox_client() as client:
        await set_faults(client, error_rate=1.0)
        feed = await client.post(FEED, json={})
        token = await client.post("/token", data=CREDENTIALS)
        admin = await client.post("/sandbox/leads", json={})
        await set_faults(client, error_rate=0.0)
        healed = await feed_status(client)
        stats = (await client.get("/sandbox/state")).json()["stats"]["faults"]
    assert feed.status_code in (500, 502, 503)
    assert feed.json()["error"]["code"] == feed.status_code
    assert token.status_code in (500, 502, 503)
    assert admin.status_code == 200
    assert healed == 200
    assert stats["server_errors"] == 2


@pytest.mark.anyio
async def test_a_429_burst_lasts_its_length_without_retry_after() -> None:
    async with sandbox_client() as client:
        await set_faults(client, burst_429_probability=1.0, burst_429_length=3)
        first = await client.post(FEED, json={})
        await set_faults(client, burst_429_probability=0.0)
        rest = [await feed_status(client) for _ in range(3)]
        stats = (await client.get("/sandbox/state")).json()["stats"]
    assert first.status_code == 429
    assert "retry-after" not in first.headers
    assert rest == [429, 429, 200]
    assert stats["faults"]["injected_429"] == 3
    assert stats["rate_limited"] == {}  # not counted as the client's own overrun


@pytest.mark.anyio
async def test_latency_is_added_to_each_call() -> None:
    async with sandbox_client() as client:
        await set_faults(client, latency_s=0.3)
        started = time.monotonic()
        assert await feed_status(client) == 200
        assert time.monotonic() - started >= 0.3


@pytest.mark.anyio
async def test_tokens_expire_at_the_chosen_request() -> None:
    async with sandbox_client() as client:  # its token request was request 1
        await set_faults(client, expire_tokens_at_request=3)
        second, third = await feed_status(client), await client.post(FEED, json={})
    assert second == 200
    assert third.status_code == 403
    assert third.json()["error"]["message"] == "token expired"


@pytest.mark.anyio
async def test_a_lost_answer_is_applied_all_the_same() -> None:
    async with sandbox_client() as client:
        await client.post("/sandbox/leads", json={"id": "b-1"})
        await set_faults(client, apply_lost_answer_rate=1.0)
        lost = await client.post(APPLY, json={"items": [ACCEPTED]})
        await set_faults(client, apply_lost_answer_rate=0.0)
        resent = await client.post(APPLY, json={"items": [ACCEPTED]})
        status = (await client.get("/partner/buyout/v1/leads/b-1/status")).json()["status"]
    assert lost.status_code == 502
    assert resent.json()["result"][0]["result"] == "already_applied"
    assert status == "accepted"


@pytest.mark.anyio
async def test_same_seed_gives_the_same_faults() -> None:
    async def run(seed: int) -> list[int]:
        async with sandbox_client(seed) as client:
            await set_faults(client, error_rate=0.3, burst_429_probability=0.05)
            return [await feed_status(client) for _ in range(40)]

    first, again = await run(11), await run(11)
    assert first == again
    assert 200 in first
    assert len(set(first)) > 1


class Receiver:
    def __init__(self) -> None:
        self.lead_ids: list[str] = []
        self.app = FastAPI()
        self.app.post("/hook")(self.hook)

    async def hook(self, request: Request) -> dict[str, bool]:
        body = await request.json()
        if body:
            self.lead_ids.append(body["payload"]["lead"]["id"])
        return {"ok": True}


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(250):
        if condition():
            return
        await anyio.sleep(0.02)
    raise AssertionError("condition not met within 5 s")


@pytest.mark.anyio
async def test_webhook_reordering_delivers_a_later_event_first() -> None:
    receiver = Receiver()
    app = create_avito_app(AvitoSandboxConfig(method_rps={}))
    sandbox: AvitoSandbox = app.state.sandbox
    async with (
        serve(receiver.app) as hook,
        serve(app) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {"url": f"{hook}/hook", "secret": "s"}
        await client.put("/partner/buyout/v1/webhook", json=body, headers=headers)
        await set_faults(client, webhook_reorder_probability=1.0, webhook_reorder_hold_s=0.1)
        for lead_id in ("b-1", "b-2", "b-3"):
            await client.post("/sandbox/leads", json={"id": lead_id})
        await until(lambda: len(receiver.lead_ids) == 3)
    assert receiver.lead_ids == ["b-2", "b-1", "b-3"]  # b-3 was held, and went out alone
    assert sandbox.webhooks.counters.reordered == 1
    assert sandbox.webhooks.counters.held == 0
