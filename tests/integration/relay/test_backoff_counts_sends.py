"""A status's wait before its next try grows with its sends only: a claim that only read Avito
back and failed (the read itself refused) is no try of the status, so it does not double the
wait. Against the Avito simulator over real HTTP, with its answers refused on demand."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select, update
from tests.integration.relay.lead_rig import CHAIN, TERMINAL, avito_rig, queue

from leadbridge.config import RelaySettings
from leadbridge.store.database import Database
from leadbridge.store.tables import OutboxItem
from leadbridge.sync.relay import Relay

pytestmark = pytest.mark.anyio
Handler = Callable[[Request], Awaitable[Response]]
BASE_S = 100.0  # the first wait: 50–100 s with equal jitter, the second 100–200 s
SLOW = RelaySettings(backoff_base_s=BASE_S, backoff_max_s=100 * BASE_S)


class Refusals:
    """Which of Avito's methods answer 503 right now."""

    def __init__(self) -> None:
        self.read_back = False
        self.apply = False

    def install(self, app: FastAPI) -> None:
        @app.middleware("http")
        async def refuse(request: Request, call_next: Handler) -> Response:
            reading = request.method == "GET" and request.url.path.endswith("/status")
            applying = request.method == "POST" and request.url.path.endswith("/apply")
            if (reading and self.read_back) or (applying and self.apply):
                return JSONResponse({"error": {"code": 503, "message": "busy"}}, status_code=503)
            return await call_next(request)


async def _item(db: Database) -> OutboxItem:
    async with db.transaction() as session:
        return (await session.scalars(select(OutboxItem))).one()


async def _due_now(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(update(OutboxItem).values(next_attempt_at=datetime.now(UTC)))


async def _wait_s(db: Database, relay: Relay) -> tuple[int, float]:
    """One claim of the due item; its sends and the wait it was given."""
    before = datetime.now(UTC)
    assert await relay.run_once() == 1
    item = await _item(db)
    return item.sends, (item.next_attempt_at.replace(tzinfo=UTC) - before).total_seconds()


async def test_failed_read_backs_do_not_grow_the_wait_and_failed_sends_do(db: Database) -> None:
    refusals = Refusals()
    async with avito_rig(refusals.install) as avito:
        avito.sandbox.add_lead({"id": "w-1"})
        await queue(db, "w-1", ["accepted"])
        relay = Relay(
            db=db,
            avito=avito.avito,
            settings=SLOW,
            chain=CHAIN,
            terminal=TERMINAL,
            rng=random.Random(5),
        )

        refusals.apply = True  # the first send is refused: a try, and Avito may have it
        first = await _wait_s(db, relay)
        refusals.apply, refusals.read_back = False, True
        waits = []
        for _ in range(3):  # Avito cannot say whether it has it: read back, and refused
            await _due_now(db)
            waits.append(await _wait_s(db, relay))
        refusals.read_back, refusals.apply = False, True
        await _due_now(db)
        second_send = await _wait_s(db, relay)  # read back (not there), sent, refused again

    assert first[0] == 1
    assert BASE_S / 2 <= first[1] <= BASE_S + 1
    for sends, wait_s in waits:
        assert sends == 1
        assert BASE_S / 2 <= wait_s <= BASE_S + 1  # still the first wait, not 2x, 4x, 8x
    assert second_send[0] == 2
    assert BASE_S <= second_send[1] <= 2 * BASE_S + 1
