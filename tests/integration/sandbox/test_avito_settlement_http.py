from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest

from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.avito.settlement import CommissionRule
from leadbridge.sandbox.serving import serve

CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "avito-demo-client",
    "client_secret": "avito-demo-secret",
}
APPLY = "/partner/buyout/v1/leads/statuses/apply"
SETTLEMENTS = "/partner/buyout/v1/settlements"
WEEK = {"dateFrom": "2026-05-04", "dateTo": "2026-05-11"}
NEXT_WEEK = {"dateFrom": "2026-05-11", "dateTo": "2026-05-18"}
CHAIN = ("accepted", "contacted", "price_agreed", "pickup_scheduled", "device_received")


@asynccontextmanager
async def sandbox_client(**config: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_avito_app(AvitoSandboxConfig(method_rps={}, **config))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


async def buy_out(client: httpx.AsyncClient, lead_id: str, price: int, at: str) -> None:
    await client.post("/sandbox/leads", json={"id": lead_id})
    items = [
        {
            "leadId": lead_id,
            "status": status,
            "occurredAt": "2026-05-04T09:00:00Z",
            "idempotencyKey": f"{lead_id}:{n}",
            "price": price,
        }
        for n, status in enumerate(CHAIN)
    ]
    bought = {
        **items[0],
        "status": "bought_out",
        "occurredAt": at,
        "idempotencyKey": f"{lead_id}:b",
    }
    answer = (await client.post(APPLY, json={"items": [*items, bought]})).json()
    assert {row["result"] for row in answer["result"]} == {"success"}


async def return_deal(client: httpx.AsyncClient, lead_id: str, at: str) -> None:
    item = {"leadId": lead_id, "status": "returned", "occurredAt": at, "idempotencyKey": "r"}
    answer = (await client.post(APPLY, json={"items": [item]})).json()
    assert answer["result"][0]["result"] == "success"


@pytest.mark.anyio
async def test_week_rows_in_kopecks_with_storno_in_the_week_of_the_return() -> None:
    async with sandbox_client() as client:
        await buy_out(client, "b-1", 4_000_000, "2026-05-06T10:00:00+03:00")
        await buy_out(client, "b-2", 100_000, "2026-05-10T23:59:59+03:00")
        await buy_out(client, "b-3", 50_000_000, "2026-05-11T00:00:00+03:00")
        await return_deal(client, "b-1", "2026-05-10T21:00:00Z")  # Monday 00:00 in Moscow
        week = (await client.get(SETTLEMENTS, params=WEEK)).json()
        next_week = (await client.get(SETTLEMENTS, params=NEXT_WEEK)).json()
    assert week["period"] == {**WEEK, "timeZone": "Europe/Moscow"}
    assert week["result"] == [
        {
            "lineId": "b-1:commission",
            "leadId": "b-1",
            "type": "commission",
            "amount": 200_000,
            "basePrice": 4_000_000,
            "occurredAt": "2026-05-06T10:00:00+03:00",
        },
        {
            "lineId": "b-2:commission",
            "leadId": "b-2",
            "type": "commission",
            "amount": 30_000,  # the minimum
            "basePrice": 100_000,
            "occurredAt": "2026-05-10T23:59:59+03:00",
        },
    ]
    assert week["total"] == 230_000
    assert [(row["leadId"], row["type"], row["amount"]) for row in next_week["result"]] == [
        ("b-1", "storno", -200_000),
        ("b-3", "commission", 500_000),  # the maximum
    ]
    assert next_week["total"] == 300_000


@pytest.mark.anyio
async def test_commission_rule_comes_from_the_config() -> None:
    rule = CommissionRule(percent=Decimal("10"), min_kopecks=0, max_kopecks=10**9)
    async with sandbox_client(commission=rule) as client:
        await buy_out(client, "b-1", 50_000_000, "2026-05-06T10:00:00+03:00")
        rows = (await client.get(SETTLEMENTS, params=WEEK)).json()["result"]
    assert [row["amount"] for row in rows] == [5_000_000]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "params",
    [
        {"dateFrom": "2026-05-05", "dateTo": "2026-05-12"},
        {"dateFrom": "2026-05-04", "dateTo": "2026-05-18"},
        {"dateFrom": "2026-05-04"},
        {"dateFrom": "04.05.2026", "dateTo": "2026-05-11"},
    ],
)
async def test_anything_but_one_monday_to_monday_week_is_400(params: dict[str, str]) -> None:
    async with sandbox_client() as client:
        response = await client.get(SETTLEMENTS, params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400


@pytest.mark.anyio
async def test_settlement_needs_a_token_and_is_limited() -> None:
    app = create_avito_app(AvitoSandboxConfig())
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        anonymous = await client.get(SETTLEMENTS, params=WEEK)
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        answers = [(await client.get(SETTLEMENTS, params=WEEK, headers=headers)) for _ in range(3)]
    assert anonymous.status_code == 401
    assert 429 in [answer.status_code for answer in answers]  # 1 request per second
