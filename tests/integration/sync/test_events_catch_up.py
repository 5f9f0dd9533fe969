"""The events-API catch-up against the amoCRM simulator: no webhook is subscribed in this rig, so
every stage change reaches us only through the events API."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from tests.integration.sync.reconcile_rig import FUNNEL, Rig, now, rig

from leadbridge.amocrm.answers import StatusEvent
from leadbridge.amocrm.api import AmoApi
from leadbridge.store import cursors, leads, status_log
from leadbridge.sync.events_catchup import CURSOR, OVERLAP_S, EventsCatchUp

pytestmark = pytest.mark.anyio
WALK = ("contacted", "negotiation", "price_agreed", "pickup_scheduled")


def catch_up(r: Rig, api: AmoApi | None = None, window_s: int = 60) -> EventsCatchUp:
    return EventsCatchUp(db=r.db, api=api or r.api, changes=r.changes(), window_s=window_s)


async def saved_cursor(r: Rig) -> int:
    async with r.db.transaction() as session:
        stored = await cursors.cursor(session, CURSOR)
    assert stored is not None
    return int(stored)


def reads_of(api: AmoApi, path: str) -> list[httpx.Request]:
    """The GET requests this client sends to `path` from now on."""
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        if request.method == "GET" and request.url.path == path:
            seen.append(request)

    api.client.http.event_hooks["request"].append(record)
    return seen


async def logged_status_ids(r: Rig, amo_id: int) -> list[int]:
    async with r.db.transaction() as session:
        lead = await leads.by_amo_lead_id(session, amo_id)
        assert lead is not None
        return [change.new_status_id for change in await status_log.for_lead(session, lead.id)]


def price(stage: str) -> dict[str, Any]:
    return {"price": 41_000} if stage == "price_agreed" else {}


async def test_changes_without_webhooks_reach_avito_priced_as_the_deal_after_them(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        deals = [await r.new_lead() for _ in range(3)]
        for _, amo_id in deals:
            assert amo_id is not None
            for stage in WALK:
                await r.move(amo_id, stage, **price(stage))
            await r.move(amo_id, "bought_out", price=39_500)
        seen = reads_of(r.api, "/api/v4/leads")

        applied = await catch_up(r).run_once()
        await r.send_all()

        assert applied == 3 * (len(WALK) + 1)
        assert len(seen) == 1  # the three deals in one read, not one read per deal or change
        for avito_id, _ in deals:
            record = r.avito.lead(avito_id)
            assert record is not None
            assert record.history[-1].status == "bought_out"
            assert record.history[-1].price == 3_950_000
        # A second pass finds everything logged and reads no deal.
        assert await catch_up(r).run_once() == 0
        assert len(seen) == 1


class FailingOnCall(AmoApi):
    """The events API read that dies on its n-th listing: the process killed mid-pass."""

    def __init__(self, api: AmoApi, fail_on: int) -> None:
        super().__init__(api.client)
        self.calls, self._fail_on = 0, fail_on

    async def status_events(self, since: int, until: int | None = None) -> list[StatusEvent]:
        self.calls += 1
        if self.calls == self._fail_on:
            raise RuntimeError("killed")
        return await super().status_events(since, until)


class NewestFirst(AmoApi):
    async def status_events(self, since: int, until: int | None = None) -> list[StatusEvent]:
        return list(reversed(await super().status_events(since, until)))


async def test_a_pass_far_behind_saves_its_place_after_each_window(database_url: str) -> None:
    async with rig(database_url) as r:
        _, amo_id = await r.new_lead()
        assert amo_id is not None
        past = int(time.time()) - 3_600
        for stage in WALK:
            await r.move(amo_id, stage, **price(stage))
        # As if the changes happened an hour ago, one every 100 s.
        for step, event in enumerate(e for e in r.amo.events if e["entity_id"] == amo_id):
            event["created_at"] = past + 100 * step
        async with r.db.transaction() as session:
            await cursors.save_cursor(session, CURSOR, str(past + OVERLAP_S), now())

        dying = FailingOnCall(r.api, fail_on=3)
        with pytest.raises(RuntimeError, match="killed"):
            await catch_up(r, dying, window_s=100).run_once()

        # Two windows of 100 s were done: [past, past+100] and [past+100, past+200].
        assert await saved_cursor(r) == past + 200
        assert await logged_status_ids(r, amo_id) == [r.layout.status_ids[s] for s in WALK[:3]]

        assert await catch_up(r, window_s=100).run_once() == 1  # only the one left
        assert await saved_cursor(r) >= past + 300
        assert await logged_status_ids(r, amo_id) == [r.layout.status_ids[s] for s in WALK]


async def test_the_order_amocrm_lists_events_in_does_not_matter(database_url: str) -> None:
    async with rig(database_url) as r:
        avito_id, amo_id = await r.new_lead()
        assert amo_id is not None
        for stage in WALK:
            await r.move(amo_id, stage, **price(stage))

        assert await catch_up(r, NewestFirst(r.api.client)).run_once() == len(WALK)
        await r.send_all()

        record = r.avito.lead(avito_id)
        assert record is not None
        history = [entry.status for entry in record.history]
        assert history[-1] == FUNNEL.implied_status(WALK[-1])
        assert history == sorted(history, key=FUNNEL.statuses.position)
        assert await logged_status_ids(r, amo_id) == [r.layout.status_ids[s] for s in WALK]


async def test_a_quiet_pass_keeps_the_cursor_where_it_was(database_url: str) -> None:
    async with rig(database_url) as r:
        assert await catch_up(r).run_once() == 0  # a fresh installation: no deal, no event
        cursor = await saved_cursor(r)
        for _ in range(3):  # still nothing happens in amoCRM
            assert await catch_up(r).run_once() == 0
            assert await saved_cursor(r) == cursor  # not an overlap further back each time
