"""Routing and first-call tasks against the amoCRM simulator, over real HTTP, on both
databases: who takes each deal, the one task each deal gets, and setup's check of the users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest
from tests.integration.amocrm.amocrm_rig import Rig, amocrm_rig, provisioned_batcher
from tests.integration.sandbox.amocrm_rig import inactive_user, team

from leadbridge.config import (
    DEFAULT_FUNNEL,
    ConfigurationError,
    Settings,
    load_funnel,
)
from leadbridge.config.routing import RoutingSettings
from leadbridge.sandbox.amocrm import AmoSandbox
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store import leads
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.deal_tasks import DealTasks
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.routing import Router, routing_of
from leadbridge.sync.setup import run_setup
from leadbridge.sync.wakeups import LocalWakeups

pytestmark = pytest.mark.anyio
FUNNEL = load_funnel(DEFAULT_FUNNEL)
MOSCOW = ZoneInfo("Europe/Moscow")


def city_routing(sandbox: AmoSandbox, **moscow_schedule: Any) -> RoutingSettings:
    moscow = {"name": "Москва", "cities": ["москва"], "users": team(sandbox, "Москва")}
    kazan = {"name": "Казань", "cities": ["Казань"], "users": team(sandbox, "Казань")}
    return RoutingSettings.model_validate(
        {
            "teams": [{**moscow, **moscow_schedule}, kazan],
            "fallback_user_id": team(sandbox, "Екатеринбург")[0],
        }
    )


async def batcher(r: Rig, routing: RoutingSettings | None) -> DealBatcher:
    router = Router(routing.routing() if routing else None, FUNNEL.statuses.terminal)
    tasks = DealTasks(db=r.db, api=r.api, router=router, attempt_settle_s=3.0)
    return await provisioned_batcher(r, FUNNEL, attempt_settle_s=3.0, router=router, tasks=tasks)


async def arrive(r: Rig, factory: LeadFactory, city: str, at: datetime | None = None) -> str:
    raw = factory.make()
    raw["location"] = {"city": city}
    if at is not None:
        raw["createdAt"] = at.isoformat()
    await accept_lead(r.db, raw, channel="feed", wakeups=LocalWakeups())
    return str(raw["id"])


def deal_of(r: Rig, avito_id: str) -> dict[str, Any]:
    return next(
        deal
        for deal in r.sandbox.leads.values()
        if any(v["value"] == avito_id for f in deal["custom_fields_values"] for v in f["values"])
    )


async def test_each_city_goes_to_its_team_in_turn_and_an_unknown_city_to_the_fallback(
    database_url: str,
) -> None:
    async with amocrm_rig(database_url, long_lived=True) as r:
        routing = city_routing(r.sandbox)
        deals = await batcher(r, routing)
        factory = LeadFactory(seed=3)
        cities = ["Москва"] * 3 + ["КАЗАНЬ"] * 2 + ["Тверь"]
        ids = [await arrive(r, factory, city) for city in cities]

        assert await deals.run_once() == len(ids)

        owners = [deal_of(r, avito_id)["responsible_user_id"] for avito_id in ids]
        assert sorted(owners[:3]) == sorted(team(r.sandbox, "Москва"))
        assert sorted(owners[3:5]) == sorted(team(r.sandbox, "Казань"))
        assert owners[5] == routing.fallback_user_id
        async with r.db.transaction() as session:
            stored = [lead.responsible_user_id or 0 for lead in await leads.recent(session, 10)]
        assert sorted(stored) == sorted(owners)  # kept for retries and for least_open


async def test_each_deal_gets_one_call_task_due_in_its_teams_working_hours(
    database_url: str,
) -> None:
    async with amocrm_rig(database_url, long_lived=True) as r:
        routing = city_routing(r.sandbox, hours="09:00-20:00", sla_minutes=15)
        deals = await batcher(r, routing)
        evening = datetime(2026, 5, 4, 19, 55, tzinfo=MOSCOW)
        factory = LeadFactory(seed=1)
        ids = [await arrive(r, factory, "Москва", evening) for _ in range(2)]

        assert await deals.run_once() == 2  # the deals
        assert await deals.run_once() == 4  # their tasks, then their notes
        assert await deals.run_once() == 0

        tasks = list(r.sandbox.tasks.values())
        assert len(tasks) == 2
        for avito_id in ids:
            deal = deal_of(r, avito_id)
            (task,) = [t for t in tasks if t["entity_id"] == deal["id"]]
            assert task["entity_type"] == "leads"
            assert task["task_type_id"] == 1
            assert task["text"] == "Связаться с продавцом"
            assert task["responsible_user_id"] == deal["responsible_user_id"]
            due = datetime(2026, 5, 5, 9, 10, tzinfo=MOSCOW)
            assert task["complete_till"] == int(due.timestamp())


async def test_without_routing_the_owner_gets_the_task_after_fifteen_minutes(
    database_url: str,
) -> None:
    async with amocrm_rig(database_url, long_lived=True) as r:
        deals = await batcher(r, None)
        arrival = datetime(2026, 5, 4, 23, 58, tzinfo=UTC)
        await arrive(r, LeadFactory(seed=8), "Москва", arrival)

        await deals.run_once()
        await deals.run_once()

        ((deal_id, deal),) = r.sandbox.leads.items()
        (task,) = r.sandbox.tasks.values()
        assert task["entity_id"] == deal_id
        assert task["responsible_user_id"] == deal["responsible_user_id"]  # the token's user
        assert task["complete_till"] == int(arrival.timestamp()) + 15 * 60


async def test_a_crash_after_amocrm_created_the_tasks_does_not_add_them_twice(
    database_url: str,
) -> None:
    async with amocrm_rig(database_url, long_lived=True) as r:
        deals = await batcher(r, city_routing(r.sandbox))
        factory = LeadFactory(seed=6)
        for city in ("Москва", "Казань", "Тверь"):
            await arrive(r, factory, city)
        assert await deals.run_once() == 3

        async def crash(_session: object, _ids: object, _now: object) -> None:
            raise RuntimeError("killed between amoCRM's answer and our commit")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("leadbridge.store.lead_tasks.mark_added", crash)
            with pytest.raises(RuntimeError):
                await deals.run_once()
        assert len(r.sandbox.tasks) == 3  # amoCRM has them; we do not know it
        assert await deals.run_once() == 3  # too soon to look at the tasks: only the notes
        await anyio.sleep(3.1)
        assert await deals.run_once() == 3  # found on the deals, not sent again

        assert len(r.sandbox.tasks) == 3
        assert await deals.run_once() == 0


@pytest.mark.parametrize(("who", "why"), [("missing", "does not exist"), ("off", "is deactivated")])
async def test_setup_refuses_a_routing_to_a_user_amocrm_cannot_assign(
    database_url: str, who: str, why: str
) -> None:
    """A ConfigurationError: the command line ends it in one line with exit code 2."""
    async with amocrm_rig(database_url, long_lived=True) as r:
        bad = 4_999_999 if who == "missing" else inactive_user(r.sandbox)
        teams = [
            {"name": "Москва", "cities": ["Москва"], "users": [*team(r.sandbox, "Москва"), bad]}
        ]
        settings = Settings(
            database_url=database_url,
            amocrm=r.settings,
            routing=RoutingSettings.model_validate(
                {"teams": teams, "fallback_user_id": team(r.sandbox, "Казань")[0]}
            ),
        )

        with pytest.raises(ConfigurationError, match=f"amoCRM user {bad}, who {why}"):
            await run_setup(settings, dry_run=True)

        assert r.sandbox.pipelines.keys() == {next(iter(r.sandbox.pipelines))}  # nothing made
        good = settings.model_copy(update={"routing": city_routing(r.sandbox)})
        assert routing_of(good) is not None
        assert await run_setup(good, dry_run=True)  # the same check passes; changes listed
