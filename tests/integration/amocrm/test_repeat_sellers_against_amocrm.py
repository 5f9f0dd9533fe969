"""Repeat sellers against the amoCRM simulator, over real HTTP, on both databases: a request whose
phone or IMEI matches a recent deal gets the «повтор» tag and a note line linking that deal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.integration.amocrm.amocrm_rig import Rig, amocrm_rig, provisioned_batcher

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.sandbox.amocrm.notes import notes_of
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.wakeups import LocalWakeups

pytestmark = pytest.mark.anyio
FUNNEL = load_funnel(DEFAULT_FUNNEL)
NOW = datetime.now(UTC).replace(microsecond=0)
PHONE, OTHER_PHONE = "+79001112233", "+79004445566"
IMEI = "353971100000017"
MOSCOW = ZoneInfo("Europe/Moscow")


async def batcher(r: Rig, window_days: int = 30) -> DealBatcher:
    return await provisioned_batcher(r, FUNNEL, repeat_window_days=window_days)


async def arrive(
    r: Rig,
    factory: LeadFactory,
    *,
    days_ago: float,
    phone: str | None = PHONE,
    imei: str | None = None,
) -> str:
    raw = factory.make()
    raw["createdAt"] = (NOW - timedelta(days=days_ago)).isoformat()
    raw["seller"]["phone"] = phone
    raw["device"]["imei"] = imei
    await accept_lead(r.db, raw, channel="feed", wakeups=LocalWakeups())
    return str(raw["id"])


async def settle(deals: DealBatcher) -> None:
    """Every deal, then every note."""
    while await deals.run_once():
        pass


def deal_of(r: Rig, avito_id: str) -> dict[str, Any]:
    return next(
        deal
        for deal in r.sandbox.leads.values()
        if any(v["value"] == avito_id for f in deal["custom_fields_values"] for v in f["values"])
    )


def tags(deal: dict[str, Any]) -> list[str]:
    return [tag["name"] for tag in deal["_tags"]]


def repeat_lines(r: Rig, deal: dict[str, Any]) -> list[str]:
    (note,) = notes_of(r.sandbox, deal["id"])
    text: str = note["params"]["text"]
    return [line for line in text.splitlines() if line.startswith("Повторное обращение")]


def link(r: Rig, deal: dict[str, Any]) -> str:
    return f"{r.settings.base_url.rstrip('/')}/leads/detail/{deal['id']}"


async def test_a_second_request_from_the_same_phone_is_tagged_and_links_the_first(
    database_url: str,
) -> None:
    async with amocrm_rig(database_url, long_lived=True) as r:
        deals = await batcher(r)
        factory = LeadFactory(seed=21)
        first = await arrive(r, factory, days_ago=10)
        second = await arrive(r, factory, days_ago=0)

        # One batch: the second waits for the next, when the first has the deal it links.
        assert await deals.run_once() == 1
        await settle(deals)

        earlier, repeat = deal_of(r, first), deal_of(r, second)
        day = (NOW - timedelta(days=10)).astimezone(MOSCOW).strftime("%d.%m.%Y")
        assert "повтор" in tags(repeat)
        assert repeat_lines(r, repeat) == [
            f"Повторное обращение: сделка №{earlier['id']} от {day} (тот же телефон)"
            f" — {link(r, earlier)}"
        ]
        assert "повтор" not in tags(earlier)
        assert repeat_lines(r, earlier) == []


async def test_outside_the_window_or_from_another_phone_is_no_repeat(database_url: str) -> None:
    async with amocrm_rig(database_url, long_lived=True) as r:
        deals = await batcher(r)
        factory = LeadFactory(seed=22)
        old = await arrive(r, factory, days_ago=31, imei=IMEI)
        await settle(deals)
        late = await arrive(r, factory, days_ago=0)  # the same phone, 31 days on
        other = await arrive(r, factory, days_ago=0, phone=OTHER_PHONE)
        await settle(deals)

        for avito_id in (old, late, other):
            assert "повтор" not in tags(deal_of(r, avito_id))
            assert repeat_lines(r, deal_of(r, avito_id)) == []


async def test_the_same_imei_from_another_phone_is_a_repeat(database_url: str) -> None:
    async with amocrm_rig(database_url, long_lived=True) as r:
        deals = await batcher(r)
        factory = LeadFactory(seed=23)
        first = await arrive(r, factory, days_ago=5, imei=IMEI)
        # Written with dashes by the second seller: the IMEI's digits are what is compared.
        second = await arrive(r, factory, days_ago=0, phone=OTHER_PHONE, imei="35-397110-000001-7")

        assert await deals.run_once() == 1  # the same IMEI twice in a batch: one waits
        await settle(deals)

        earlier, repeat = deal_of(r, first), deal_of(r, second)
        assert "повтор" in tags(repeat)
        (line,) = repeat_lines(r, repeat)
        assert f"сделка №{earlier['id']} " in line
        assert line.endswith(f"(тот же IMEI) — {link(r, earlier)}")


async def test_a_window_of_zero_days_turns_repeats_off(database_url: str) -> None:
    async with amocrm_rig(database_url, long_lived=True) as r:
        deals = await batcher(r, window_days=0)
        factory = LeadFactory(seed=24)
        first = await arrive(r, factory, days_ago=2, imei=IMEI)
        second = await arrive(r, factory, days_ago=0, phone=OTHER_PHONE, imei=IMEI)
        third = await arrive(r, factory, days_ago=0)

        assert await deals.run_once() == 2  # the IMEI no longer holds the second back
        await settle(deals)

        for avito_id in (first, second, third):
            assert "повтор" not in tags(deal_of(r, avito_id))
            assert repeat_lines(r, deal_of(r, avito_id)) == []
