from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.sandbox.amocrm import AmoSandbox, AmoSandboxConfig, create_amocrm_app
from leadbridge.sandbox.managers import ManagerCrew
from leadbridge.sandbox.serving import serve
from leadbridge.sandbox.walks import BACKWARD, CLOSE, SKIP, plan_walk

FUNNEL = load_funnel(DEFAULT_FUNNEL)
DEALS = 24
CLOSED = {142, 143}


@asynccontextmanager
async def amocrm() -> AsyncIterator[tuple[str, AmoSandbox]]:
    app = create_amocrm_app(AmoSandboxConfig(seed=4))
    sandbox: AmoSandbox = app.state.sandbox
    async with serve(app) as url:
        try:
            yield url, sandbox
        finally:
            await sandbox.aclose()


async def provision(client: httpx.AsyncClient) -> dict[str, Any]:
    """What the bridge sets up: the funnel's pipeline, its loss reasons, the Avito id field."""
    statuses = [
        {"name": stage.name, "sort": 10 * n} for n, stage in enumerate(FUNNEL.working_stages)
    ]
    pipeline = {"name": FUNNEL.name, "sort": 100, "_embedded": {"statuses": statuses}}
    answer = await client.post("/api/v4/leads/pipelines", json=[pipeline])
    answer.raise_for_status()
    reasons = [{"name": reason.name} for reason in FUNNEL.loss_reasons]
    (await client.post("/api/v4/leads/loss_reasons", json=reasons)).raise_for_status()
    field = {"name": "ID заявки Авито", "type": "text", "code": "AVITO_LEAD_ID"}
    (await client.post("/api/v4/leads/custom_fields", json=[field])).raise_for_status()
    created: dict[str, Any] = answer.json()["_embedded"]["pipelines"][0]
    return created


async def add_deals(client: httpx.AsyncClient, pipeline: dict[str, Any], count: int) -> None:
    first = next(
        status["id"]
        for status in pipeline["_embedded"]["statuses"]
        if status["name"] == FUNNEL.first_stage.name
    )
    deals = [
        {
            "name": f"iPhone 13 128 ГБ #{n}",
            "price": 30_000 + 500 * n,
            "pipeline_id": pipeline["id"],
            "status_id": first,
        }
        for n in range(count)
    ]
    (await client.post("/api/v4/leads", json=deals)).raise_for_status()


def status_changes(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [event for event in state["events"] if event["type"] == "lead_status_changed"]


def after(event: dict[str, Any]) -> int:
    return int(event["value_after"][0]["lead_status"]["id"])


@pytest.mark.anyio
async def test_managers_close_every_deal_through_the_pipelines_own_statuses() -> None:
    async with amocrm() as (url, sandbox):
        token = sandbox.issue_person_token()
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers) as client:
            pipeline = await provision(client)
            await add_deals(client, pipeline, DEALS)
        crew = ManagerCrew(
            amocrm_url=url, person_token=token, funnel=FUNNEL, seed=7, time_scale=1e-6
        )
        await asyncio.wait_for(crew.run(stop_when_all_closed=DEALS), timeout=60)
        state = sandbox.state_json()

    deals = [deal for deal in state["leads"] if deal["pipeline_id"] == pipeline["id"]]
    pipeline_statuses = {status["id"] for status in pipeline["_embedded"]["statuses"]} | CLOSED
    reason_ids = {r["id"] for r in state["loss_reasons"] if r["name"] in _funnel_reasons()}
    assert len(deals) == DEALS
    assert {deal["status_id"] for deal in deals} <= CLOSED
    assert {after(event) for event in status_changes(state)} <= pipeline_statuses
    for deal in deals:
        lost = deal["status_id"] == 143
        assert (deal.get("loss_reason_id") in reason_ids) is lost, deal["id"]
    stats = crew.stats
    assert stats.deals == DEALS
    assert stats.won + stats.lost + stats.returned == DEALS
    assert stats.won > 0
    assert stats.lost > 0
    assert stats.moves == len(status_changes(state))
    assert stats.price_changes > 0


@pytest.mark.anyio
async def test_crew_waits_for_the_pipeline_and_stops_when_cancelled() -> None:
    async with amocrm() as (url, sandbox):
        crew = ManagerCrew(
            amocrm_url=url,
            person_token=sandbox.issue_person_token(),
            funnel=FUNNEL,
            time_scale=1e-6,
        )
        task = asyncio.create_task(crew.run(stop_when_all_closed=1))
        await asyncio.sleep(0.3)
        assert not task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert task.cancelled()
    assert crew.stats.moves == 0


def test_walks_lose_a_third_skip_some_and_step_back_rarely() -> None:
    walks = [
        plan_walk(FUNNEL, start_key="new", price=30_000, rng=random.Random(n)) for n in range(3000)
    ]
    closed = [walk[-1] for walk in walks if walk[-1].kind == CLOSE]
    returned = [move for move in closed if move.loss_reason == "Возврат продавцу после выкупа"]
    share = len(closed) / len(walks)

    assert 0.27 < share < 0.36
    assert 0.01 < len(returned) / len(walks) < 0.05
    assert 0.08 < sum(any(m.kind == SKIP for m in w) for w in walks) / len(walks) < 0.2
    assert 0.01 < sum(any(m.kind == BACKWARD for m in w) for w in walks) / len(walks) < 0.05
    assert all(move.loss_reason in _funnel_reasons() for move in closed)
    assert all(walk[-1].stage_key in ("won", "lost") for walk in walks)


def test_a_deal_lost_in_negotiation_did_not_agree_on_price() -> None:
    for seed in range(2000):
        walk = plan_walk(FUNNEL, start_key="new", price=30_000, rng=random.Random(seed))
        if len(walk) > 1 and walk[-1].kind == CLOSE and walk[-2].stage_key == "negotiation":
            assert walk[-1].loss_reason == "Не сошлись в цене"


def _funnel_reasons() -> set[str]:
    return {reason.name for reason in FUNNEL.loss_reasons}


async def _owned_deals(
    sandbox: AmoSandbox, client: httpx.AsyncClient, owners: list[int]
) -> list[int]:
    """Deals in the first stage, each owned by one of `owners`, each with a first-call task
    for its owner, as the bridge leaves them."""
    pipeline = await provision(client)
    first = next(
        s["id"] for s in pipeline["_embedded"]["statuses"] if s["name"] == FUNNEL.first_stage.name
    )
    deals = [
        {"name": f"#{n}", "pipeline_id": pipeline["id"], "status_id": first,
         "responsible_user_id": owner}
        for n, owner in enumerate(owners)
    ]  # fmt: skip
    answer = await client.post("/api/v4/leads", json=deals)
    ids = [int(row["id"]) for row in answer.json()["_embedded"]["leads"]]
    tasks = [
        {"text": "Связаться с продавцом", "entity_type": "leads", "entity_id": deal_id,
         "complete_till": 2_000_000_000, "responsible_user_id": owner}
        for deal_id, owner in zip(ids, owners, strict=True)
    ]  # fmt: skip
    (await client.post("/api/v4/tasks", json=tasks)).raise_for_status()
    return ids


@pytest.mark.anyio
async def test_each_deal_is_worked_by_its_owner_who_ticks_off_the_call_once_contacted() -> None:
    async with amocrm() as (url, sandbox):
        owners = [u for u, user in sandbox.users.users.items() if user["rights"]["group_id"]]
        owners = [u for u in owners if sandbox.users.assignable(u)][:4] * 3
        admin = sandbox.issue_person_token()
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {admin}"}
        ) as c:
            ids = await _owned_deals(sandbox, c, owners)
        crew = ManagerCrew(
            amocrm_url=url,
            person_token=admin,
            funnel=FUNNEL,
            seed=2,
            time_scale=1e-6,
            user_tokens={u: sandbox.issue_person_token(u) for u in set(owners)},
        )
        await asyncio.wait_for(crew.run(stop_when_all_closed=len(ids)), timeout=60)
        state = sandbox.state_json()

    contact = {s["id"] for s in state["pipelines"][-1]["_embedded"]["statuses"]
               if s["name"] == FUNNEL.stage(FUNNEL.first_contact_stage).name}  # fmt: skip
    tasks = {task["entity_id"]: task for task in state["tasks"]}
    owner_of = dict(zip(ids, owners, strict=True))
    reached_contact = {e["entity_id"] for e in status_changes(state) if after(e) in contact}
    assert reached_contact, "some deal must have been called"
    for deal_id in ids:
        task = tasks[deal_id]
        walked_past_new = any(e["entity_id"] == deal_id for e in status_changes(state))
        if deal_id in reached_contact:
            assert task["is_completed"], deal_id
            assert task["updated_by"] == owner_of[deal_id]  # the owner, in his own session
            assert task["result"] == {"text": "Связался с продавцом"}
        assert walked_past_new
    assert crew.stats.tasks_completed == sum(t["is_completed"] for t in tasks.values())


@pytest.mark.anyio
async def test_a_deal_someone_else_closed_is_left_alone() -> None:
    async with amocrm() as (url, sandbox):
        token = sandbox.issue_person_token()
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}
        ) as c:
            pipeline = await provision(c)
            await add_deals(c, pipeline, 1)
            # a manager waits at least 120 s × 0.005 before touching a deal: time to close it
            crew = ManagerCrew(amocrm_url=url, person_token=token, funnel=FUNNEL, time_scale=0.005)
            running = asyncio.create_task(crew.run(stop_when_all_closed=1))
            await asyncio.sleep(0.4)
            assert crew.stats.deals == 1  # taken, not called yet
            (deal_id,) = sandbox.leads
            (await c.patch(f"/api/v4/leads/{deal_id}", json={"status_id": 143})).raise_for_status()
            await asyncio.wait_for(running, timeout=120)
        state = sandbox.state_json()

    assert crew.stats.closed_by_others == 1
    assert [after(e) for e in status_changes(state)] == [143]  # nobody reopened it
