"""Stage changes in the simulator: events, form-encoded webhooks with retries, and the state."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from leadbridge.sandbox.amocrm import AmoSandbox, create_amocrm_app
from leadbridge.sandbox.serving import serve

pytestmark = pytest.mark.anyio

WON, LOST = 142, 143


class Receiver:
    """A tiny webhook endpoint: answers from a script, keeps what it got."""

    def __init__(self, *answers: int) -> None:
        self.answers = list(answers)
        self.bodies: list[tuple[str, dict[str, str]]] = []
        self.app = FastAPI()
        self.app.post("/hook")(self.hook)

    async def hook(self, request: Request) -> Response:
        body = (await request.body()).decode()
        self.bodies.append((request.headers["content-type"], dict(parse_qsl(body))))
        status = self.answers.pop(0) if self.answers else 200
        return Response(status_code=status)


@contextlib.asynccontextmanager
async def account() -> AsyncIterator[tuple[AmoSandbox, httpx.AsyncClient]]:
    app = create_amocrm_app()
    sandbox: AmoSandbox = app.state.sandbox
    sandbox.retry_delay_scale = 1e-4  # 5 min → 30 ms
    try:
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
            http.headers["Authorization"] = f"Bearer {sandbox.issue_person_token()}"
            yield sandbox, http
    finally:
        await sandbox.aclose()


async def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def new_lead(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    answer = await http.post("/api/v4/leads", json=[{"name": "iPhone", "price": 100, **fields}])
    lead_id = answer.json()["_embedded"]["leads"][0]["id"]
    lead: dict[str, Any] = (await http.get(f"/api/v4/leads/{lead_id}")).json()
    return lead


async def subscribe(http: httpx.AsyncClient, url: str, *settings: str) -> httpx.Response:
    body = {"destination": f"{url}/hook", "settings": list(settings), "sort": 10}
    return await http.post("/api/v4/webhooks", json=body)


def other_stage(sandbox: AmoSandbox, lead: dict[str, Any]) -> int:
    statuses = sandbox.state_json()["pipelines"][0]["_embedded"]["statuses"]
    working = [s["id"] for s in statuses if s["type"] == 0 and s["id"] not in (WON, LOST)]
    return next(s for s in working if s != lead["status_id"])


async def test_a_stage_change_makes_an_event_and_a_form_encoded_webhook() -> None:
    receiver = Receiver()
    async with serve(receiver.app) as hook_url, account() as (sandbox, http):
        assert (await subscribe(http, hook_url, "status_lead")).status_code == 201
        lead = await new_lead(http)
        target = other_stage(sandbox, lead)

        await http.patch(f"/api/v4/leads/{lead['id']}", json={"status_id": target})
        await eventually(lambda: len(receiver.bodies) == 1)

        content_type, form = receiver.bodies[0]
        assert content_type == "application/x-www-form-urlencoded"
        assert form["leads[status][0][id]"] == str(lead["id"])
        assert form["leads[status][0][status_id]"] == str(target)
        assert form["leads[status][0][old_status_id]"] == str(lead["status_id"])
        assert form["leads[status][0][pipeline_id]"] == str(lead["pipeline_id"])
        assert form["leads[status][0][old_pipeline_id]"] == str(lead["pipeline_id"])
        assert form["leads[status][0][price]"] == "100"
        for key in ("last_modified", "modified_user_id", "account_id"):
            assert f"leads[status][0][{key}]" in form
        assert form["account[subdomain]"] == "leadbridge-demo"
        assert form["account[id]"] == "31000001"

        events = await http.get("/api/v4/events", params={"filter[type]": "lead_status_changed"})
        (event,) = events.json()["_embedded"]["events"]
        assert isinstance(event["id"], str)
        assert event["entity_id"] == lead["id"]
        assert event["entity_type"] == "lead"
        assert event["value_before"] == [
            {"lead_status": {"id": lead["status_id"], "pipeline_id": lead["pipeline_id"]}}
        ]
        assert event["value_after"] == [
            {"lead_status": {"id": target, "pipeline_id": lead["pipeline_id"]}}
        ]
        hook = sandbox.state_json()["webhooks"][0]
        assert (hook["delivered"], hook["failed"], hook["attempts"]) == (1, 0, 1)


async def test_closing_sets_closed_at_and_keeps_the_loss_reason() -> None:
    async with account() as (_, http):
        reason = (await http.post("/api/v4/leads/loss_reasons", json=[{"name": "Дорого"}])).json()
        reason_id = reason["_embedded"]["loss_reasons"][0]["id"]
        lead = await new_lead(http)

        await http.patch(
            "/api/v4/leads",
            json=[{"id": lead["id"], "status_id": LOST, "loss_reason_id": reason_id}],
        )

        closed = (await http.get(f"/api/v4/leads/{lead['id']}")).json()
        assert closed["closed_at"] is not None
        assert (closed["status_id"], closed["loss_reason_id"]) == (LOST, reason_id)


async def test_a_failed_delivery_is_retried() -> None:
    receiver = Receiver(500)
    async with serve(receiver.app) as hook_url, account() as (sandbox, http):
        await subscribe(http, hook_url, "status_lead")
        lead = await new_lead(http)

        await http.patch(f"/api/v4/leads/{lead['id']}", json={"status_id": WON})
        await eventually(lambda: len(receiver.bodies) == 2)

        assert receiver.bodies[0] == receiver.bodies[1]
        hook = sandbox.state_json()["webhooks"][0]
        await eventually(lambda: hook["delivered"] == 1)
        assert (hook["failed"], hook["attempts"]) == (1, 2)


async def test_a_4xx_is_tried_three_times_and_a_5xx_five() -> None:
    client_error, server_error = Receiver(*[404] * 5), Receiver(*[503] * 5)
    async with (
        serve(client_error.app) as url_4xx,
        serve(server_error.app) as url_5xx,
        account() as (_sandbox, http),
    ):
        await subscribe(http, url_4xx, "status_lead")
        await subscribe(http, url_5xx, "status_lead")
        lead = await new_lead(http)

        await http.patch(f"/api/v4/leads/{lead['id']}", json={"status_id": WON})
        await eventually(lambda: len(server_error.bodies) == 5)
        await asyncio.sleep(0.3)

        assert len(client_error.bodies) == 3
        assert len(server_error.bodies) == 5


async def test_add_and_update_hooks_fire_when_subscribed() -> None:
    receiver = Receiver()
    async with serve(receiver.app) as hook_url, account() as (_, http):
        await subscribe(http, hook_url, "add_lead", "update_lead")
        lead = await new_lead(http)
        await http.patch(f"/api/v4/leads/{lead['id']}", json={"price": 500})

        await eventually(lambda: len(receiver.bodies) == 2)

        forms = [form for _, form in receiver.bodies]
        added = next(f for f in forms if "leads[add][0][id]" in f)
        updated = next(f for f in forms if "leads[update][0][id]" in f)
        assert added["leads[add][0][id]"] == str(lead["id"])
        assert updated["leads[update][0][price]"] == "500"


async def test_webhooks_upsert_by_destination_filter_and_delete() -> None:
    async with account() as (_, http):
        first = (await subscribe(http, "http://127.0.0.1:9", "status_lead")).json()
        second = (await subscribe(http, "http://127.0.0.1:9", "add_lead", "status_lead")).json()
        await subscribe(http, "http://127.0.0.1:8", "add_lead")

        only = await http.get(
            "/api/v4/webhooks", params={"filter[destination]": "http://127.0.0.1:9/hook"}
        )
        deleted = await http.request(
            "DELETE", "/api/v4/webhooks", json={"destination": "http://127.0.0.1:9/hook"}
        )
        left = (await http.get("/api/v4/webhooks")).json()

        assert first["id"] == second["id"]
        assert second["settings"] == ["add_lead", "status_lead"]
        assert only.json()["_total_items"] == 1
        assert deleted.status_code == 204
        assert [h["destination"] for h in left["_embedded"]["webhooks"]] == [
            "http://127.0.0.1:8/hook"
        ]


async def test_events_filter_by_time_entity_and_page_in_creation_order() -> None:
    async with account() as (sandbox, http):
        leads = [await new_lead(http) for _ in range(3)]
        for lead in leads:
            await http.patch(f"/api/v4/leads/{lead['id']}", json={"status_id": WON})
            await http.patch(f"/api/v4/leads/{lead['id']}", json={"status_id": LOST})

        everything = []
        path = "/api/v4/events?limit=4&filter[type]=lead_status_changed"
        while path:
            body = (await http.get(path)).json()
            everything += body["_embedded"]["events"]
            path = body["_links"].get("next", {}).get("href", "")
        mine = await http.get(
            "/api/v4/events",
            params=[("filter[entity]", "lead"), ("filter[entity_id][]", leads[1]["id"])],
        )
        contacts_only = await http.get("/api/v4/events", params={"filter[entity]": "contact"})
        future = await http.get(
            "/api/v4/events", params={"filter[created_at][from]": int(time.time()) + 60}
        )

        ids = [e["id"] for e in everything]
        assert len(ids) == 6
        assert ids == sorted(ids)
        assert [e["id"] for e in everything] == [e["id"] for e in sandbox.state_json()["events"]]
        assert [e["entity_id"] for e in mine.json()["_embedded"]["events"]] == [leads[1]["id"]] * 2
        assert contacts_only.status_code == 204
        assert future.status_code == 204
        assert (await http.get("/api/v4/events", params={"limit": 101})).status_code == 200


async def test_the_state_shows_the_whole_account() -> None:
    async with account() as (sandbox, http):
        await http.post(
            "/api/v4/leads/complex",
            json=[
                {
                    "name": "iPhone",
                    "_embedded": {
                        "tags": [{"name": "avito"}],
                        "contacts": [{"first_name": "Олег"}],
                    },
                }
            ],
        )
        await subscribe(http, "http://127.0.0.1:9", "status_lead")

        async with httpx.AsyncClient(base_url=str(http.base_url)) as anonymous:
            state = (await anonymous.get("/sandbox/state")).json()

        assert set(state) >= {
            "account", "pipelines", "custom_fields", "loss_reasons", "leads",
            "contacts", "notes", "events", "webhooks", "stats",
        }  # fmt: skip
        assert set(state["custom_fields"]) == {"leads", "contacts"}
        (lead,) = state["leads"]
        for key in ("custom_fields_values", "status_id", "pipeline_id", "loss_reason_id", "price"):
            assert key in lead
        assert lead["_embedded"]["tags"][0]["name"] == "avito"
        assert lead["_embedded"]["contacts"][0]["id"] == state["contacts"][0]["id"]
        assert {"delivered", "failed", "attempts"} <= set(state["webhooks"][0])
        stats = state["stats"]
        assert stats["requests_total"] == 2
        assert stats["requests_by_token_kind"] == {"integration": 0, "person": 2}
        assert stats["complex_batches"] == [1]
        assert stats["rate_limited_total"] == 0
        assert "max_integration_rps_observed" in stats
        assert sandbox.state_json() == state
