"""The simulator's breaking-change switches (docs/avito-partner-api.md, section 12.3), over HTTP.

Each switch is flipped through `POST /sandbox/evolution` and seen from the partner's side: the
payloads of the feed and the webhook, the apply and read-back answers, the settlement, and the
counters of `GET /sandbox/state`.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request, Response

from leadbridge.sandbox.avito import AvitoSandboxConfig, LeadFactory, create_avito_app
from leadbridge.sandbox.avito.breaking import move_renamed_fields
from leadbridge.sandbox.serving import serve

SEED = 11
CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "avito-demo-client",
    "client_secret": "avito-demo-secret",
}
APPLY = "/partner/buyout/v1/leads/statuses/apply"
APPLY_V2 = "/partner/buyout/v2/leads/statuses/apply"
FEED = "/partner/buyout/v1/leads/get"
REASONS = "/partner/buyout/v1/dictionaries/reasons"
SETTLEMENTS = "/partner/buyout/v1/settlements"
WEEK = {"dateFrom": "2026-05-04", "dateTo": "2026-05-11"}
BREAKING = ("renamed_fields", "id_as_int", "status_renamed", "apply_v2", "reason_codes")
TO_PICKUP = ("accepted", "contacted", "price_agreed", "pickup_scheduled")
GONE = {
    "error": {
        "code": 410,
        "message": "gone: status apply moved to /partner/buyout/v2/leads/statuses/apply",
    }
}


@asynccontextmanager
async def sandbox_client(
    clock: Callable[[], float] | None = None, **config: Any
) -> AsyncIterator[httpx.AsyncClient]:
    settings = AvitoSandboxConfig(**{"method_rps": {}, "seed": SEED, **config})
    app = create_avito_app(settings) if clock is None else create_avito_app(settings, clock=clock)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def item(lead_id: str | int, status: str, key: str, **extra: Any) -> dict[str, Any]:
    price = {"price": 4_000_000} if status in ("price_agreed", "bought_out") else {}
    return {
        "leadId": lead_id,
        "status": status,
        "occurredAt": "2026-05-05T12:00:00+03:00",
        "idempotencyKey": key,
        **price,
        **extra,
    }


def walk(lead_id: str | int, *statuses: str) -> list[dict[str, Any]]:
    return [item(lead_id, status, f"{lead_id}:{status}") for status in statuses]


async def apply(
    client: httpx.AsyncClient, *items: dict[str, Any], path: str = APPLY
) -> list[dict[str, Any]]:
    response = await client.post(path, json={"items": list(items)})
    assert response.status_code == 200, response.text
    return list(response.json()["result"])


async def flip(client: httpx.AsyncClient, **switches: bool | str) -> dict[str, Any]:
    response = await client.post("/sandbox/evolution", json=switches)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def add_lead(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/sandbox/leads", json=fields)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def read_back(client: httpx.AsyncClient, lead_id: str | int) -> dict[str, Any]:
    response = await client.get(f"/partner/buyout/v1/leads/{lead_id}/status")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def without_token(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=client.base_url) as anonymous:
        return await anonymous.request(method, path)


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await client.get("/sandbox/state")).json()["stats"])


class Receiver:
    """A partner webhook endpoint that keeps each event and lets a test wait for the next."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._arrived = anyio.Event()
        self.app = FastAPI()
        self.app.post("/hook")(self.hook)

    async def hook(self, request: Request) -> Response:
        body = await request.json()
        if body:  # the `{}` ping of the registration is no event
            self.events.append(body)
            self._arrived.set()
        return Response(status_code=200)

    async def next_event(self) -> dict[str, Any]:
        with anyio.fail_after(5):
            await self._arrived.wait()
        self._arrived = anyio.Event()
        return self.events[-1]


@pytest.mark.anyio
async def test_breaking_switches_are_off_by_default_and_flip_alone_or_all_at_once() -> None:
    async with sandbox_client() as client:
        default = (await client.get("/sandbox/state")).json()["evolution"]
        one = await flip(client, id_as_int=True)
        everything = await flip(client, breaking=True)
        all_but_v2 = await flip(client, breaking=True, apply_v2=False)
        nothing = await flip(client, breaking=False)
        bad_rename = await client.post(
            "/sandbox/evolution", json={"status_renamed": True, "renamed_status_to": "accepted"}
        )
        after_bad = (await client.get("/sandbox/state")).json()["evolution"]
    assert {name: default[name] for name in BREAKING} == dict.fromkeys(BREAKING, False)
    assert (default["renamed_status_from"], default["renamed_status_to"]) == (
        "device_received",
        "device_accepted",
    )
    assert [name for name in BREAKING if one[name]] == ["id_as_int"]
    assert all(everything[name] for name in BREAKING)
    assert [name for name in BREAKING if not all_but_v2[name]] == ["apply_v2"]
    assert not any(nothing[name] for name in BREAKING)
    assert "breaking" not in nothing  # a shorthand, not a switch of its own
    assert bad_rename.status_code == 400
    assert "cannot rename status 'device_received' to 'accepted'" in str(bad_rename.json())
    assert after_bad == nothing


@pytest.mark.anyio
async def test_renamed_fields_move_price_and_phone_in_the_feed_and_the_webhook() -> None:
    expected = LeadFactory(SEED)
    old_shape, new_shape = expected.make(), expected.make()
    receiver = Receiver()
    async with serve(receiver.app) as hook_url, sandbox_client() as client:
        await client.put(
            "/partner/buyout/v1/webhook", json={"url": f"{hook_url}/hook", "secret": "s"}
        )
        old = await add_lead(client)
        old_event = await receiver.next_event()
        await flip(client, renamed_fields=True)
        new = await add_lead(client)
        new_event = await receiver.next_event()
        feed = (await client.post(FEED, json={})).json()["result"]
        await apply(client, *walk(new["id"], *TO_PICKUP, "device_received", "bought_out"))
        settlement = (await client.get(SETTLEMENTS, params=WEEK)).json()
    assert old["buyoutPrice"] == old_shape["buyoutPrice"]
    assert old["seller"]["phone"] == old_shape["seller"]["phone"]
    assert old_event["payload"]["lead"] == feed[0]["lead"] == old
    assert "buyoutPrice" not in new
    assert "phone" not in new["seller"]
    assert new["offer"] == {"price": new_shape["buyoutPrice"] / 100, "currency": "RUB"}
    assert new["contacts"] == {"phone": new_shape["seller"]["phone"]}
    assert new_event["payload"]["lead"] == feed[1]["lead"] == new
    unchanged = {key for key in new_shape if key not in ("buyoutPrice", "seller", "createdAt")}
    assert {key: new[key] for key in unchanged} == {key: new_shape[key] for key in unchanged}
    assert new["seller"] == {k: v for k, v in new_shape["seller"].items() if k != "phone"}
    assert [row["amount"] for row in settlement["result"]] == [200_000]


def test_renamed_price_is_in_rubles_and_keeps_its_kopecks() -> None:
    lead = {"id": "b-1", "buyoutPrice": 4_100_050, "seller": {"name": "Ия", "phone": "+7900"}}
    whole = move_renamed_fields({**lead, "buyoutPrice": 4_100_000})
    assert move_renamed_fields(lead) == {
        "id": "b-1",
        "offer": {"price": 41_000.5, "currency": "RUB"},
        "seller": {"name": "Ия"},
        "contacts": {"phone": "+7900"},
    }
    assert whole["offer"]["price"] == 41_000
    assert isinstance(whole["offer"]["price"], int)


@pytest.mark.anyio
async def test_integer_ids_reach_every_answer_and_are_accepted_as_decimals() -> None:
    receiver = Receiver()
    async with serve(receiver.app) as hook_url, sandbox_client() as client:
        await client.put(
            "/partner/buyout/v1/webhook", json={"url": f"{hook_url}/hook", "secret": "s"}
        )
        before = await add_lead(client, id="900002")  # would be the next lead's integer id
        await receiver.next_event()
        await flip(client, id_as_int=True)
        lead = await add_lead(client)
        event = await receiver.next_event()
        feed = (await client.post(FEED, json={})).json()["result"]
        as_int = await apply(client, *walk(900_003, "accepted", "contacted"))
        as_text = await apply(client, *walk("900003", "price_agreed"))
        unknown = await apply(client, item(12, "accepted", "k-unknown"))
        shown = await read_back(client, "900003")
        await apply(client, *walk(900_003, "pickup_scheduled", "device_received", "bought_out"))
        settlement = (await client.get(SETTLEMENTS, params=WEEK)).json()["result"]
        await flip(client, id_as_int=False)
        after = await add_lead(client)
        still = await apply(client, *walk(900_003, "returned"))
    assert before["id"] == "900002"
    assert lead["id"] == 900_003
    assert event["payload"]["lead"]["id"] == 900_003
    assert [row["id"] for row in feed] == [1, 2]  # feed positions, not lead ids
    assert feed[1]["lead"]["id"] == 900_003
    assert [(a["leadId"], a["result"]) for a in [*as_int, *as_text]] == [(900_003, "success")] * 3
    assert (unknown[0]["leadId"], unknown[0]["result"]) == (12, "not_found")
    assert (shown["leadId"], shown["status"]) == (900_003, "price_agreed")
    assert [(line["leadId"], line["lineId"]) for line in settlement] == [
        (900_003, "900003:commission")
    ]
    assert isinstance(after["id"], str)
    assert (still[0]["leadId"], still[0]["result"]) == (900_003, "success")


@pytest.mark.anyio
async def test_integer_lead_ids_are_invalid_while_no_lead_has_one() -> None:
    async with sandbox_client() as client:
        await add_lead(client, id="900001")
        [answer] = await apply(client, item(900_001, "accepted", "k1"))
    assert (answer["result"], answer["message"]) == ("invalid", "leadId must be a non-empty string")


@pytest.mark.anyio
async def test_renamed_status_replaces_the_old_name_for_leads_old_and_new() -> None:
    async with sandbox_client() as client:
        await add_lead(client, id="b-1")
        await add_lead(client, id="b-2")
        await apply(client, *walk("b-1", *TO_PICKUP, "device_received"), *walk("b-2", *TO_PICKUP))
        await flip(client, status_renamed=True)
        received_before = await read_back(client, "b-1")
        old_name = await apply(client, item("b-2", "device_received", "b-2:old"))
        new_name = await apply(client, item("b-2", "device_accepted", "b-2:new"))
        bought = await apply(client, *walk("b-1", "bought_out"), *walk("b-2", "bought_out"))
        history = (await read_back(client, "b-2"))["history"]
        counters = await stats(client)
        await flip(client, status_renamed=False)
        new_name_after = await apply(client, item("b-2", "device_accepted", "b-2:again"))
    assert received_before["status"] == "device_accepted"
    assert received_before["history"][-1]["status"] == "device_received"  # as it was recorded
    assert (old_name[0]["result"], old_name[0]["message"]) == (
        "invalid",
        "unknown status 'device_received'",
    )
    assert (new_name[0]["result"], new_name[0]["currentStatus"]) == ("success", "device_accepted")
    assert [answer["result"] for answer in bought] == ["success", "success"]
    assert [entry["status"] for entry in history[-2:]] == ["device_accepted", "bought_out"]
    assert (counters["invalid_total"], counters["invalid_renamed_status_total"]) == (1, 1)
    assert new_name_after[0]["message"] == "unknown status 'device_accepted'"


@pytest.mark.anyio
async def test_a_deal_bought_out_before_its_status_was_renamed_still_earns_its_commission() -> None:
    async with sandbox_client() as client:
        await add_lead(client, id="b-1")
        await apply(client, *walk("b-1", *TO_PICKUP, "device_received", "bought_out"))
        await flip(
            client,
            status_renamed=True,
            renamed_status_from="bought_out",
            renamed_status_to="purchased",
        )
        shown = await read_back(client, "b-1")
        returned = await apply(client, *walk("b-1", "returned"))
        lines = (await client.get(SETTLEMENTS, params=WEEK)).json()["result"]
    assert shown["status"] == "purchased"
    assert returned[0]["result"] == "success"
    assert [(line["type"], line["amount"]) for line in lines] == [
        ("commission", 200_000),
        ("storno", -200_000),
    ]


@pytest.mark.anyio
async def test_apply_moves_to_v2_and_v1_is_gone_without_applying() -> None:
    async with sandbox_client() as client:
        await add_lead(client, id="b-1")
        v2_off = await client.post(APPLY_V2, json={"items": walk("b-1", "accepted")})
        no_such_path = await client.post("/partner/buyout/v9/nothing", json={})
        await flip(client, apply_v2=True)
        gone = await client.post(APPLY, json={"items": walk("b-1", "accepted")})
        gone_anonymous = await without_token(client, "POST", APPLY)
        moved = await apply(client, *walk("b-1", "accepted"), path=APPLY_V2)
        counters = await stats(client)
        await flip(client, apply_v2=False)
        back = await apply(client, *walk("b-1", "contacted"))
        v2_again = await client.post(APPLY_V2, json={"items": walk("b-1", "price_agreed")})
        shown = await read_back(client, "b-1")
    assert v2_off.status_code == no_such_path.status_code == 404
    assert v2_off.json() == no_such_path.json()
    assert (gone.status_code, gone.json()) == (410, GONE)
    assert (gone_anonymous.status_code, gone_anonymous.json()) == (410, GONE)
    assert (moved[0]["result"], moved[0]["currentStatus"]) == ("success", "accepted")
    assert counters["gone_total"] == 2
    assert counters["requests"]["status_apply"] == 1  # a gone method is not counted
    assert back[0]["result"] == "success"
    assert v2_again.status_code == 404
    assert [entry["status"] for entry in shown["history"]] == ["accepted", "contacted"]


@pytest.mark.anyio
async def test_v1_and_v2_share_one_rate_limit_bucket() -> None:
    async with sandbox_client(clock=lambda: 1_000.0, method_rps={"status_apply": 2}) as client:
        await add_lead(client, id="b-1")
        first = await client.post(APPLY, json={"items": walk("b-1", "accepted")})
        await flip(client, apply_v2=True)
        second = await client.post(APPLY_V2, json={"items": walk("b-1", "contacted")})
        third = await client.post(APPLY_V2, json={"items": walk("b-1", "price_agreed")})
    assert [r.status_code for r in (first, second, third)] == [200, 200, 429]


@pytest.mark.anyio
async def test_reasons_dictionary_is_served_always_and_only_to_a_token() -> None:
    async with sandbox_client() as client:
        served = await client.get(REASONS)
        anonymous = await without_token(client, "GET", REASONS)
    reasons = served.json()["result"]
    by_code = {reason["code"]: reason for reason in reasons}
    assert served.status_code == 200
    assert anonymous.status_code == 401
    assert by_code["seller_changed_mind"] == {
        "code": "seller_changed_mind",
        "statuses": ["cancelled"],
        "title": "Продавец передумал",
    }
    for status in ("rejected", "cancelled"):
        assert sum(status in reason["statuses"] for reason in reasons) >= 3
    assert all(set(reason["statuses"]) <= {"rejected", "cancelled"} for reason in reasons)
    assert all(reason["title"] for reason in reasons)


@pytest.mark.anyio
async def test_reason_codes_are_ignored_while_off_and_required_while_on() -> None:
    async with sandbox_client() as client:
        for lead_id in ("b-1", "b-2", "b-3"):
            await add_lead(client, id=lead_id)
        await apply(client, *walk("b-1", "accepted"), *walk("b-2", "accepted"))
        ignored = await apply(
            client, item("b-1", "cancelled", "k-off", reason="продал", reasonCode="nonsense")
        )
        await flip(client, reason_codes=True)
        refused = await apply(
            client,
            item("b-2", "rejected", "k1", reason="без кода"),
            item("b-2", "rejected", "k2", reasonCode="seller_changed_mind"),
            item("b-2", "rejected", "k3", reasonCode="telepathy"),
            item("b-2", "rejected", "k4", reasonCode=7),
        )
        accepted = await apply(client, item("b-2", "rejected", "k5", reasonCode="device_mismatch"))
        not_first = await apply(client, item("b-3", "cancelled", "k6", reasonCode="sold_elsewhere"))
        kept = (await read_back(client, "b-2"))["history"][-1]
        off_history = (await read_back(client, "b-1"))["history"][-1]
        counters = await stats(client)
    assert ignored[0]["result"] == "success"
    assert "reasonCode" not in off_history
    assert [answer["result"] for answer in refused] == ["invalid"] * 4
    messages = [answer["message"] for answer in refused]
    assert messages[0].startswith("status 'rejected' requires reasonCode; valid: device_mismatch")
    assert "'seller_changed_mind' is not valid for status 'rejected'" in messages[1]
    assert "'telepathy' is not valid for status 'rejected'" in messages[2]
    assert messages[3] == "reasonCode must be a non-empty string when given"
    assert (accepted[0]["result"], accepted[0]["currentStatus"]) == ("success", "rejected")
    assert kept["reasonCode"] == "device_mismatch"
    assert "reason" not in kept  # free text is optional while codes are required
    assert not_first[0]["result"] == "forbidden"  # the chain is checked as before
    assert (counters["invalid_total"], counters["invalid_reason_code_total"]) == (4, 4)


@pytest.mark.anyio
async def test_breaking_true_rehearses_every_break_at_once() -> None:
    async with sandbox_client() as client:
        await add_lead(client, id="b-1")
        await apply(client, *walk("b-1", *TO_PICKUP, "device_received"))
        await flip(client, breaking=True)
        lead = await add_lead(client)
        gone = await client.post(APPLY, json={"items": walk(lead["id"], "accepted")})
        answers = await apply(
            client,
            item("b-1", "device_received", "k-old"),
            item("b-1", "cancelled", "k-cancel"),
            item(str(lead["id"]), "accepted", "k-new"),
            path=APPLY_V2,
        )
        counters = await stats(client)
    assert isinstance(lead["id"], int)
    assert {"offer", "contacts"} <= lead.keys()
    assert gone.status_code == 410
    assert [answer["result"] for answer in answers] == ["invalid", "invalid", "success"]
    assert answers[2]["leadId"] == lead["id"]
    assert counters["gone_total"] == 1
    assert counters["invalid_renamed_status_total"] == counters["invalid_reason_code_total"] == 1
