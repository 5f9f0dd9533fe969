"""Leases: a vanished worker's sends are taken over. Read-back: an ambiguous send is not resent
when Avito already has it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import anyio
import pytest
from sqlalchemy import select
from tests.integration.relay.lead_rig import NOW, avito_rig, queue

from leadbridge.avito.results import StatusUpdate
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store import outbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import OutboxItem, SendAttempt
from leadbridge.sync.relay import Relay

pytestmark = pytest.mark.anyio


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    upgrade(database_url)
    first, second = Database(database_url), Database(database_url)
    yield first, second
    await first.dispose()
    await second.dispose()


async def _items(db: Database) -> list[OutboxItem]:
    async with db.transaction() as session:
        return list(await session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def _attempts(db: Database) -> list[tuple[str, str | None]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(SendAttempt.outcome, SendAttempt.detail).order_by(SendAttempt.id)
        )
        return [(outcome, detail) for outcome, detail in rows.all()]


async def test_an_expired_lease_is_claimed_by_another_worker(
    engines: tuple[Database, Database],
) -> None:
    first, second = engines
    await queue(first, "l-1", ["accepted", "contacted"])
    async with first.transaction() as session:
        (mine,) = await outbox.claim_heads(session, limit=10, now=NOW, lease_s=30)
    async with second.transaction() as session:
        assert await outbox.claim_heads(session, limit=10, now=NOW + timedelta(seconds=29)) == []
    async with second.transaction() as session:
        (taken,) = await outbox.claim_heads(session, limit=10, now=NOW + timedelta(seconds=31))
    assert taken.id == mine.id  # the head, never the status after it
    assert taken.verify_first  # the first worker may have sent it before it vanished
    assert taken.attempts == mine.attempts + 1
    # The first worker comes back late: its claim is gone, its verdict is dropped.
    async with first.transaction() as session:
        late = await outbox.finish(
            session,
            mine.id,
            state=OutboxState.PARKED,
            error="late",
            sent_at=None,
            claim=mine.attempts,
        )
    async with second.transaction() as session:
        current = await outbox.finish(
            session, taken.id, state=OutboxState.SENT, error=None, sent_at=NOW, claim=taken.attempts
        )
    assert (late, current) == (False, True)
    assert [item.state for item in await _items(first)] == [OutboxState.SENT, OutboxState.PENDING]


async def test_a_live_lease_is_left_alone(engines: tuple[Database, Database]) -> None:
    first, second = engines
    await queue(first, "l-2", ["accepted"])
    async with first.transaction() as session:
        assert len(await outbox.claim_heads(session, limit=10, now=NOW, lease_s=30)) == 1
    async with second.transaction() as session:
        assert await outbox.claim_heads(session, limit=10, now=NOW) == []


async def test_a_lost_answer_is_read_back_and_not_sent_twice(
    engines: tuple[Database, Database],
) -> None:
    db = engines[0]
    async with avito_rig() as rig:
        rig.sandbox.add_lead({"id": "r-1"})
        await queue(db, "r-1", ["accepted"])
        relay = rig.relay(db)
        rig.sandbox.set_faults(apply_lost_answer_rate=1.0)
        assert await relay.run_once() == 1
        (item,) = await _items(db)
        assert (item.state, item.verify_first) == (OutboxState.PENDING, True)
        rig.sandbox.set_faults(apply_lost_answer_rate=0.0)
        await _until_claimed(relay)
        applies = rig.applies()
    (item,) = await _items(db)
    assert item.state == OutboxState.SENT
    assert applies == 1  # the read-back found "accepted": no second send
    assert relay.read_back_sent == 1
    assert [outcome for outcome, _ in await _attempts(db)] == ["retryable", "already_applied"]


async def test_a_send_that_did_not_arrive_is_sent_again_after_the_read_back(
    engines: tuple[Database, Database],
) -> None:
    db = engines[0]
    async with avito_rig() as rig:
        rig.sandbox.add_lead({"id": "r-2"})
        await queue(db, "r-2", ["accepted"])
        relay = rig.relay(db)
        await rig.avito.read_status("r-2")  # a token before the faults start
        rig.sandbox.set_faults(error_rate=1.0)  # 5xx, nothing applied: ambiguous to us
        await relay.run_once()
        rig.sandbox.set_faults(error_rate=0.0)
        await _until_claimed(relay)
        applies = rig.applies()
        status = (await rig.avito.read_status("r-2"), relay.read_back_sent)
    (item,) = await _items(db)
    assert item.state == OutboxState.SENT
    assert applies == 2
    assert status == ("accepted", 0)


async def test_a_send_interrupted_by_a_vanished_worker_is_read_back(
    engines: tuple[Database, Database],
) -> None:
    vanished, survivor = engines
    async with avito_rig() as rig:
        rig.sandbox.add_lead({"id": "r-3"})
        await queue(vanished, "r-3", ["accepted"])
        async with vanished.transaction() as session:  # claimed long ago, lease long over
            (item,) = await outbox.claim_heads(session, limit=10, now=NOW, lease_s=1)
        [sent] = await rig.avito.apply_statuses([_update_of(item)])  # ...and sent, then died
        relay = rig.relay(survivor)
        assert await relay.run_once() == 1
        applies = rig.applies()
    assert sent.outcome.value == "ok"
    assert applies == 1
    assert relay.read_back_sent == 1
    assert [i.state for i in await _items(survivor)] == [OutboxState.SENT]


def _update_of(item: OutboxItem) -> StatusUpdate:
    return StatusUpdate(item.avito_lead_id, item.status, item.occurred_at, item.idempotency_key)


async def _until_claimed(relay: Relay) -> None:
    """Run the relay until its retry is due (the backoff is a millisecond)."""
    for _ in range(100):
        if await relay.run_once():
            return
        await anyio.sleep(0.01)
    raise AssertionError("the retry never came due")


async def test_a_batch_is_marked_sent_only_where_its_claims_still_hold(
    engines: tuple[Database, Database],
) -> None:
    first, second = engines
    await queue(first, "b-1", ["accepted"])
    await queue(first, "b-2", ["accepted"])
    async with first.transaction() as session:
        mine = await outbox.claim_heads(session, limit=10, now=NOW, lease_s=30)
    later = NOW + timedelta(seconds=31)
    async with second.transaction() as session:  # one of the two is taken over
        (taken,) = await outbox.claim_heads(session, limit=1, now=later)
    async with first.transaction() as session:
        claims = [(item.id, item.attempts) for item in mine]
        assert await outbox.finish_sent(session, claims, sent_at=later) == 1
    states = {item.id: item.state for item in await _items(first)}
    assert states[taken.id] == OutboxState.SENDING  # the new claim's to settle
    assert sorted(states.values()) == [OutboxState.SENDING, OutboxState.SENT]


async def test_a_lead_avito_does_not_know_is_sent_and_parked_not_read_forever(
    engines: tuple[Database, Database],
) -> None:
    vanished, survivor = engines
    async with avito_rig() as rig:
        await queue(vanished, "r-404", ["accepted"])
        async with vanished.transaction() as session:
            await outbox.claim_heads(session, limit=10, now=NOW, lease_s=1)
        assert await rig.relay(survivor).run_once() == 1
    assert [i.state for i in await _items(survivor)] == [OutboxState.PARKED]
