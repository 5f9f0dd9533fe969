from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
APPLY = "/partner/buyout/v1/leads/statuses/apply"
NO_LIMITS = AvitoSandboxConfig(method_rps={})


def item(status: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "leadId": "b-1",
        "status": status,
        "occurredAt": "2026-05-04T07:00:00Z",
        "idempotencyKey": key,
        **extra,
    }


@asynccontextmanager
async def client_for(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        await client.post("/sandbox/leads", json={"id": "b-1"})
        yield client


async def apply(client: httpx.AsyncClient, *items: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.post(APPLY, json={"items": list(items)})
    assert response.status_code == 200
    return list(response.json()["result"])


@pytest.mark.anyio
async def test_chain_is_enforced_inside_http_200_and_read_back_shows_history() -> None:
    async with serve(create_avito_app(NO_LIMITS)) as url, client_for(url) as client:
        results = await apply(
            client,
            item("contacted", "k0"),
            item("accepted", "k1"),
            item("price_agreed", "k2", price=1_500_000),
            item("contacted", "k3"),
            item("contacted", "k3"),
            item("price_agreed", "k4"),
            item("cancelled", "k5", reason="seller sold elsewhere"),
            item("returned", "k6"),
            item("accepted", "k7", leadId="b-404"),
        )
        read_back = (await client.get("/partner/buyout/v1/leads/b-1/status")).json()
        missing = await client.get("/partner/buyout/v1/leads/b-404/status")
        state = (await client.get("/sandbox/state")).json()
    assert [(r["result"], r["currentStatus"]) for r in results] == [
        ("forbidden", None),
        ("success", "accepted"),
        ("forbidden", "accepted"),
        ("success", "contacted"),
        ("already_applied", "contacted"),
        ("invalid", "contacted"),
        ("success", "cancelled"),
        ("forbidden", "cancelled"),
        ("not_found", None),
    ]
    assert results[1] == {
        "leadId": "b-1",
        "idempotencyKey": "k1",
        "result": "success",
        "currentStatus": "accepted",
    }
    assert read_back["leadId"] == "b-1"
    assert read_back["status"] == "cancelled"
    assert [h["status"] for h in read_back["history"]] == ["accepted", "contacted", "cancelled"]
    assert read_back["history"][2]["reason"] == "seller sold elsewhere"
    assert {"occurredAt", "appliedAt", "idempotencyKey"} <= set(read_back["history"][0])
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == 404
    assert state["stats"]["forbidden_total"] == 3
    assert state["stats"]["already_applied_total"] == 1
    assert len(state["leads"][0]["forbidden"]) == 3


@pytest.mark.anyio
async def test_bought_out_carries_the_price_and_only_returned_follows() -> None:
    chain = ["accepted", "contacted", "price_agreed", "pickup_scheduled", "device_received"]
    async with serve(create_avito_app(NO_LIMITS)) as url, client_for(url) as client:
        priced = {"price_agreed": 1_500_000, "bought_out": 1_400_000}
        items = [item(s, s, **({"price": priced[s]} if s in priced else {})) for s in chain]
        assert {r["result"] for r in await apply(client, *items)} == {"success"}
        assert (await apply(client, item("bought_out", "b0")))[0]["result"] == "invalid"
        bought = await apply(client, item("bought_out", "b1", price=1_400_000))
        assert bought[0]["result"] == "success"
        late = await apply(client, item("rejected", "r", reason="x"), item("returned", "ret"))
        assert [r["result"] for r in late] == ["forbidden", "success"]
        read_back = (await client.get("/partner/buyout/v1/leads/b-1/status")).json()
    assert read_back["history"][-2]["price"] == 1_400_000
    assert read_back["status"] == "returned"


@pytest.mark.anyio
@pytest.mark.parametrize("count", [0, 101])
async def test_batches_outside_1_to_100_items_are_400(count: int) -> None:
    async with serve(create_avito_app(NO_LIMITS)) as url, client_for(url) as client:
        items = [item("accepted", f"k{n}") for n in range(count)]
        response = await client.post(APPLY, json={"items": items})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 400
        state = (await client.get("/sandbox/state")).json()
    assert state["leads"][0]["history"] == []


@pytest.mark.anyio
async def test_a_batch_of_100_is_accepted() -> None:
    async with serve(create_avito_app(NO_LIMITS)) as url, client_for(url) as client:
        items = [item("accepted", "same-key") for _ in range(100)]
        results = await apply(client, *items)
    assert [r["result"] for r in results] == ["success"] + ["already_applied"] * 99
