"""Simulated store managers: they work the buyout deals in amoCRM the way people do.

A manager's browser session (a person token, not throttled like the integration) drags each new deal
through the funnel with pauses of minutes to hours: most deals go stage by stage, some skip a stage
or two, a few step back and go on, about a third are lost with a reason that fits the stage, and a
few bought-out devices are returned to the seller. Each deal is walked by its own task from a seed
of its own, so a run is reproducible whatever the order deals arrive in.

Each deal is worked by its responsible user, in that user's own session (`user_tokens`): the
managers of a city team take the deals routed to them. The first time a manager moves a deal to
the contact stage (or past it) he completes its task «Связаться с продавцом», as a person ticks
it off after the call. A deal closed by someone else meanwhile (the bridge closes a deal whose
seller withdrew on Avito) is left alone from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx
import structlog

from leadbridge.domain.first_contact import contact_stage_keys
from leadbridge.domain.funnel import LOST_STATUS_ID, WON_STATUS_ID, Funnel
from leadbridge.sandbox.manager_session import (
    closed_meanwhile,
    embedded,
    pages,
    request,
    tick_off_call,
)
from leadbridge.sandbox.walks import BACKWARD, CLOSE, SKIP, Move, plan_walk, returned_reason

log = structlog.get_logger(__name__)

MIN_DELAY_S = 0.02
STEP_DELAY_S = (120.0, 7200.0)  # a deal is touched again two minutes to two hours later
NEW_DEALS_POLL_S = 30.0


@dataclass(slots=True)
class CrewStats:
    deals: int = 0
    moves: int = 0
    price_changes: int = 0
    won: int = 0
    lost: int = 0
    returned: int = 0
    skips: int = 0
    backward_moves: int = 0
    tasks_completed: int = 0
    closed_by_others: int = 0  # left alone once someone else had closed them


@dataclass(frozen=True, slots=True)
class Layout:
    pipeline_id: int
    status_ids: dict[str, int]  # stage key → amoCRM status id
    loss_reason_ids: dict[str, int]  # name → id

    def stage_of(self, status_id: int) -> str | None:
        return next((key for key, known in self.status_ids.items() if known == status_id), None)


class ManagerCrew:
    def __init__(
        self,
        *,
        amocrm_url: str,
        person_token: str,
        funnel: Funnel,
        seed: int = 0,
        time_scale: float = 1.0,
        user_tokens: Mapping[int, str] | None = None,
        first_call_wait_s: float = 0.0,
        new_deals_poll_s: float | None = None,
    ) -> None:
        """`person_token` acts for a deal whose owner has no token in `user_tokens`.
        `first_call_wait_s`: how long a manager looks for a deal's first-call task before he
        calls without ticking it off (0: one look). A bridge with routing adds one to every
        deal, a moment after the deal; under --chaos amoCRM may hold it up for seconds.
        `new_deals_poll_s`: how often the managers look for new deals (default: half a minute
        on the `time_scale`, at least 0.1 s)."""
        self._url, self._token, self._funnel = amocrm_url, person_token, funnel
        self._user_tokens = dict(user_tokens or {})
        self._first_call_wait_s = first_call_wait_s
        self._contact_keys = frozenset(contact_stage_keys(funnel))
        self._seed, self._time_scale = seed, time_scale
        self._new_deals_poll_s = new_deals_poll_s
        self._stats = CrewStats()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._closed: set[int] = set()
        self._updated_since: int | None = None  # amoCRM's clock; None: list every deal

    @property
    def stats(self) -> CrewStats:
        return replace(self._stats)

    async def run(self, *, stop_when_all_closed: int | None = None) -> None:
        """Work every deal that appears; return once that many deals are all closed."""
        headers = {"Authorization": f"Bearer {self._token}"}
        async with httpx.AsyncClient(base_url=self._url, headers=headers, timeout=10) as client:
            try:
                layout = await self._wait_for_layout(client)
                while not self._finished(stop_when_all_closed):
                    await self._adopt_new_deals(client, layout)
                    self._raise_failures()
                    await asyncio.sleep(self._poll_s)
            finally:
                await self._cancel_all()

    @property
    def _poll_s(self) -> float:
        if self._new_deals_poll_s is not None:
            return self._new_deals_poll_s
        return min(NEW_DEALS_POLL_S, max(0.1, NEW_DEALS_POLL_S * self._time_scale))

    def _finished(self, wanted: int | None) -> bool:
        if wanted is None or len(self._closed) < wanted:
            return False
        return all(task.done() for task in self._tasks.values())

    async def _wait_for_layout(self, client: httpx.AsyncClient) -> Layout:
        """The bridge provisions the pipeline and loss reasons; managers wait until it has."""
        while True:
            layout = await self._layout(client)
            if layout is not None:
                return layout
            await asyncio.sleep(self._poll_s)

    async def _layout(self, client: httpx.AsyncClient) -> Layout | None:
        pipelines = await embedded(client, "/api/v4/leads/pipelines", "pipelines")
        pipeline = next((p for p in pipelines if p.get("name") == self._funnel.name), None)
        reasons = await embedded(client, "/api/v4/leads/loss_reasons", "loss_reasons")
        reason_ids = {str(reason["name"]): int(reason["id"]) for reason in reasons}
        if pipeline is None or any(r.name not in reason_ids for r in self._funnel.loss_reasons):
            return None
        statuses = pipeline.get("_embedded", {}).get("statuses", [])
        by_name = {str(status["name"]): int(status["id"]) for status in statuses}
        status_ids = {
            s.key: by_name[s.name] for s in self._funnel.working_stages if s.name in by_name
        }
        if len(status_ids) < len(self._funnel.working_stages):
            return None
        for stage in self._funnel.stages:
            if stage.amocrm_status_id is not None:
                status_ids[stage.key] = stage.amocrm_status_id
        return Layout(int(pipeline["id"]), status_ids, reason_ids)

    async def _adopt_new_deals(self, client: httpx.AsyncClient, layout: Layout) -> None:
        """Only the deals changed since the last look: listing every deal each time cost more
        with every deal there had been, until the managers alone held most of a core. A new
        deal is changed at its creation, after every deal of the last look was listed (their
        `updated_at` being amoCRM's whole seconds, the newest is the next look's start)."""
        params: dict[str, Any] = {"filter[pipeline_id]": layout.pipeline_id, "limit": 250}
        if self._updated_since is not None:
            params["filter[updated_at][from]"] = self._updated_since
        newest = self._updated_since
        async for deal in pages(client, "/api/v4/leads", "leads", params):
            newest = max(newest or 0, int(deal.get("updated_at") or 0))
            self._adopt(client, layout, deal)
        self._updated_since = newest

    def _adopt(self, client: httpx.AsyncClient, layout: Layout, deal: dict[str, Any]) -> None:
        deal_id = int(deal["id"])
        if deal_id in self._tasks or deal_id in self._closed:
            return
        self._stats.deals += 1
        if int(deal["status_id"]) in (WON_STATUS_ID, LOST_STATUS_ID):
            self._closed.add(deal_id)
            return
        work = self._work(client, layout, deal)
        self._tasks[deal_id] = asyncio.create_task(work, name=f"manager-{deal_id}")

    async def _work(self, client: httpx.AsyncClient, layout: Layout, deal: dict[str, Any]) -> None:
        deal_id = int(deal["id"])
        rng = random.Random(f"{self._seed}:{deal_id}")
        start = layout.stage_of(int(deal["status_id"])) or self._funnel.first_stage.key
        price = int(deal.get("price") or 0)
        owner = self._user_tokens.get(int(deal.get("responsible_user_id") or 0), self._token)
        as_owner = {"Authorization": f"Bearer {owner}"}
        called = start in self._contact_keys
        for move in plan_walk(self._funnel, start_key=start, price=price, rng=rng):
            await asyncio.sleep(self._delay(rng))
            if await closed_meanwhile(client, deal_id, as_owner):
                self._stats.closed_by_others += 1
                break
            path = f"/api/v4/leads/{deal_id}"
            await request(client, "PATCH", path, json=_body(layout, move), headers=as_owner)
            self._count(move)
            log.debug("manager.moved", deal_id=deal_id, stage=move.stage_key, kind=move.kind)
            if not called and move.kind != CLOSE and move.stage_key in self._contact_keys:
                called = True
                # awaited first: `+= await` would add to a count read before other deals' calls
                ticked = await tick_off_call(client, deal_id, as_owner, self._first_call_wait_s)
                self._stats.tasks_completed += ticked
        self._closed.add(deal_id)

    def _delay(self, rng: random.Random) -> float:
        low, high = (math.log(bound) for bound in STEP_DELAY_S)
        return max(MIN_DELAY_S, math.exp(rng.uniform(low, high)) * self._time_scale)

    def _count(self, move: Move) -> None:
        stats = self._stats
        stats.moves += 1
        stats.price_changes += move.price is not None
        stats.skips += move.kind == SKIP
        stats.backward_moves += move.kind == BACKWARD
        if move.kind == CLOSE:
            if move.loss_reason is not None and move.loss_reason == returned_reason(self._funnel):
                stats.returned += 1
            else:
                stats.lost += 1
        elif self._funnel.stage(move.stage_key).amocrm_status_id == WON_STATUS_ID:
            stats.won += 1

    def _raise_failures(self) -> None:
        for task in self._tasks.values():
            error = task.exception() if task.done() and not task.cancelled() else None
            if error is not None:
                raise error

    async def _cancel_all(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _body(layout: Layout, move: Move) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status_id": layout.status_ids[move.stage_key],
        "pipeline_id": layout.pipeline_id,
    }
    if move.price is not None:
        body["price"] = move.price
    if move.loss_reason is not None:
        body["loss_reason_id"] = layout.loss_reason_ids[move.loss_reason]
    return body
