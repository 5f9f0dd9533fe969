from typing import Any

import httpx
import pytest

from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.serving import serve

CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "avito-demo-client",
    "client_secret": "avito-demo-secret",
}
FEED = "/partner/buyout/v1/leads/get"
NO_LIMITS = AvitoSandboxConfig(method_rps={})


async def authorized(client: httpx.AsyncClient) -> None:
    token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"


async def page(client: httpx.AsyncClient, last_id: int | None, limit: int) -> dict[str, Any]:
    response = await client.post(FEED, json={"lastId": last_id, "limit": limit})
    assert response.status_code == 200
    return response.json()


@pytest.mark.anyio
async def test_feed_pages_by_last_id() -> None:
    app = create_avito_app(NO_LIMITS)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        await authorized(client)
        added = [(await client.post("/sandbox/leads", json={})).json() for _ in range(5)]
        first = await page(client, None, 2)
        second = await page(client, first["pagination"]["lastId"], 2)
        third = await page(client, second["pagination"]["lastId"], 2)
        empty = await page(client, third["pagination"]["lastId"], 2)
    rows = first["result"] + second["result"] + third["result"]
    assert [row["lead"] for row in rows] == added
    positions = [row["id"] for row in rows]
    assert positions == sorted(set(positions))
    assert third["pagination"]["lastId"] == positions[-1]
    assert empty == {"result": [], "pagination": {"lastId": positions[-1]}}


@pytest.mark.anyio
async def test_feed_sees_leads_added_later_and_admin_payloads() -> None:
    app = create_avito_app(NO_LIMITS)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        await authorized(client)
        start = await page(client, None, 100)
        assert start == {"result": [], "pagination": {"lastId": None}}
        custom = await client.post("/sandbox/leads", json={"id": "b-custom", "buyoutPrice": 100})
        assert custom.json()["id"] == "b-custom"
        assert "device" in custom.json()
        duplicate = await client.post("/sandbox/leads", json={"id": "b-custom"})
        assert duplicate.status_code == 409
        [row] = (await page(client, None, 100))["result"]
        assert row["lead"]["buyoutPrice"] == 100


@pytest.mark.anyio
@pytest.mark.parametrize("body", [{"limit": 101}, {"limit": 0}, {"lastId": "x"}])
async def test_bad_feed_requests_are_400(body: dict[str, Any]) -> None:
    async with serve(create_avito_app(NO_LIMITS)) as url, httpx.AsyncClient(base_url=url) as c:
        await authorized(c)
        response = await c.post(FEED, json=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 400
