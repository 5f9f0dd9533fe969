from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.serving import serve

CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "avito-demo-client",
    "client_secret": "avito-demo-secret",
}
STATUS = "/partner/buyout/v1/leads/b-1/status"


@asynccontextmanager
async def client_for(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        await client.post("/sandbox/leads", json={"id": "b-1"})
        yield client


@pytest.mark.anyio
async def test_over_the_limit_is_429_without_retry_after_and_counted() -> None:
    config = AvitoSandboxConfig(method_rps={"status_get": 2})
    async with serve(create_avito_app(config)) as url, client_for(url) as client:
        responses = [await client.get(STATUS) for _ in range(8)]
        state = (await client.get("/sandbox/state")).json()
    limited = [r for r in responses if r.status_code == 429]
    assert 4 <= len(limited) <= 6
    assert {r.status_code for r in responses} == {200, 429}
    for response in limited:
        assert "retry-after" not in response.headers
        assert response.json() == {"error": {"code": 429, "message": "Too many requests"}}
    stats = state["stats"]
    assert stats["requests"]["status_get"] == 8
    assert stats["rate_limited"]["status_get"] == len(limited)
    assert stats["max_rps_observed"]["status_get"] >= 4
    assert stats["requests"]["token"] == 1


@pytest.mark.anyio
async def test_rate_limit_headers_are_sometimes_absent() -> None:
    config = AvitoSandboxConfig(
        method_rps={"status_get": 1000}, rate_headers_absent_probability=0.5, seed=3
    )
    async with serve(create_avito_app(config)) as url, client_for(url) as client:
        responses = [await client.get(STATUS) for _ in range(20)]
    shown = [r for r in responses if "x-ratelimit-limit" in r.headers]
    assert 0 < len(shown) < len(responses)
    for response in shown:
        assert response.headers["x-ratelimit-limit"] == "1000"
        assert int(response.headers["x-ratelimit-remaining"]) < 1000
    for response in responses:
        assert ("x-ratelimit-limit" in response.headers) == (
            "x-ratelimit-remaining" in response.headers
        )


@pytest.mark.anyio
async def test_defaults_limit_the_token_method_to_one_per_second() -> None:
    async with serve(create_avito_app()) as url, httpx.AsyncClient(base_url=url) as client:
        first = await client.post("/token", data=CREDENTIALS)
        second = await client.post("/token", data=CREDENTIALS)
    assert first.status_code == 200
    assert second.status_code in (200, 429)
