from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.avito.evolution import RENAMED_ENUMS
from leadbridge.sandbox.serving import serve

CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "avito-demo-client",
    "client_secret": "avito-demo-secret",
}
APPLY = "/partner/buyout/v1/leads/statuses/apply"
CHAIN = ("accepted", "contacted", "price_agreed", "pickup_scheduled", "device_received")


@asynccontextmanager
async def sandbox_client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_avito_app(AvitoSandboxConfig(method_rps={}, seed=5))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def item(status: str, key: str, **extra: Any) -> dict[str, Any]:
    price = {"price": 1_000_000} if status in ("price_agreed", "bought_out") else {}
    return {
        "leadId": "b-1",
        "status": status,
        "occurredAt": "2026-05-04T12:00:00+03:00",
        "idempotencyKey": key,
        **price,
        **extra,
    }


async def apply(client: httpx.AsyncClient, *items: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.post(APPLY, json={"items": list(items)})
    assert response.status_code == 200
    return list(response.json()["result"])


async def flip(client: httpx.AsyncClient, **switches: bool) -> dict[str, Any]:
    response = await client.post("/sandbox/evolution", json=switches)
    assert response.status_code == 200
    return dict(response.json())


@pytest.mark.anyio
async def test_switches_are_off_by_default_and_flip_at_run_time() -> None:
    async with sandbox_client() as client:
        before = (await client.get("/sandbox/state")).json()["evolution"]
        after = await flip(client, extra_fields=True, status_comment=True)
        unknown = await client.post("/sandbox/evolution", json={"telepathy": True})
        state = (await client.get("/sandbox/state")).json()["evolution"]
    assert not any(value for value in before.values() if isinstance(value, bool))
    assert after["extra_fields"]
    assert after["status_comment"]
    assert not after["new_status"]
    assert state == after
    assert unknown.status_code == 400


@pytest.mark.anyio
async def test_extra_fields_appear_in_new_leads_and_in_apply_answers() -> None:
    async with sandbox_client() as client:
        old = (await client.post("/sandbox/leads", json={"id": "b-0"})).json()
        await flip(client, extra_fields=True)
        new = (await client.post("/sandbox/leads", json={"id": "b-1"})).json()
        [answer] = await apply(client, item("accepted", "k1"))
        feed = (await client.post("/partner/buyout/v1/leads/get", json={})).json()
    assert "promo" not in old
    assert "esim" not in old["device"]
    assert {"promo", "sellerRating", "inspectionSlot"} <= new.keys()
    assert "esim" in new["device"]
    assert feed["result"][1]["lead"] == new
    assert answer["result"] == "success"
    assert answer["statusVersion"] == 2


@pytest.mark.anyio
async def test_renamed_enum_values_replace_old_spellings_in_new_leads() -> None:
    async with sandbox_client() as client:
        await flip(client, renamed_enums=True)
        leads = [(await client.post("/sandbox/leads", json={})).json() for _ in range(30)]
    for field, renames in RENAMED_ENUMS.items():
        assert not {lead["device"][field] for lead in leads} & renames.keys()
    assert {lead["device"]["screenCondition"] for lead in leads} & {"Идеальное"}


@pytest.mark.anyio
async def test_new_status_is_set_by_avito_and_shows_as_current_status() -> None:
    async with sandbox_client() as client:
        await client.post("/sandbox/leads", json={"id": "b-1"})
        await flip(client, new_status=True)
        answers = await apply(client, *(item(s, f"k{n}") for n, s in enumerate(CHAIN)))
        resent = await apply(client, item("device_received", "k4"))
        read_back = (await client.get("/partner/buyout/v1/leads/b-1/status")).json()
        [bought_out] = await apply(client, item("bought_out", "k5"))
    assert [a["result"] for a in answers] == ["success"] * 5
    assert answers[-1]["currentStatus"] == "inspection_scheduled"
    assert resent[0]["result"] == "already_applied"
    assert resent[0]["currentStatus"] == "inspection_scheduled"
    assert read_back["status"] == "inspection_scheduled"
    assert read_back["history"][-1]["idempotencyKey"] == "avito:b-1:inspection_scheduled"
    assert (bought_out["result"], bought_out["currentStatus"]) == ("success", "bought_out")


@pytest.mark.anyio
async def test_comment_is_accepted_only_when_switched_on_and_is_optional() -> None:
    async with sandbox_client() as client:
        await client.post("/sandbox/leads", json={"id": "b-1"})
        ignored = await apply(client, item("accepted", "k1", comment="first call"))
        await flip(client, status_comment=True)
        without = await apply(client, item("contacted", "k2"))
        bad = await apply(client, item("price_agreed", "k3", comment=""))
        kept = await apply(client, item("price_agreed", "k3", comment="agreed by phone"))
        history = (await client.get("/partner/buyout/v1/leads/b-1/status")).json()["history"]
    assert [r["result"] for r in (*ignored, *without, *bad, *kept)] == [
        "success",
        "success",
        "invalid",
        "success",
    ]
    assert [entry.get("comment") for entry in history] == [None, None, "agreed by phone"]
