"""A run during a backlog: statuses Avito lacks that are still queued, being sent, or of a lead
changed within the grace are «в пути» — neither repaired nor counted as drift — on SQLite and
PostgreSQL, against both simulators."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from tests.integration.sync.reconcile_rig import QUIET, Rig, rig

from leadbridge.config import ReconcileSettings
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.reconciliation import DriftKind
from leadbridge.metrics import DRIFT
from leadbridge.store.tables import OutboxItem
from leadbridge.sync.reconciler import set_drift_gauge

pytestmark = pytest.mark.anyio
GRACE = ReconcileSettings(
    read_sample_ratio=0.0, missing_deal_grace_s=600.0, in_flight_grace_s=600.0
)


async def moved_unseen(r: Rig) -> tuple[str, int]:
    """A deal Avito knows as contacted, moved on in amoCRM; its webhook is still in a backlog."""
    avito_id, amo_id = await r.new_lead()
    assert amo_id is not None
    await r.move(amo_id, "contacted")
    await r.sync(amo_id)
    await r.move(amo_id, "price_agreed")
    return avito_id, amo_id


async def test_a_change_within_the_grace_is_in_flight_and_left_alone(database_url: str) -> None:
    async with rig(database_url) as r:
        avito_id, _ = await moved_unseen(r)

        fresh = await r.reconciler(GRACE).run(fix=True)
        counts = await r.findings(fresh)
        set_drift_gauge(counts)

        assert counts == {("missing_in_avito", "in_flight"): 1}
        assert DRIFT.labels(kind=DriftKind.MISSING_IN_AVITO.value)._value.get() == 0
        await r.send_all()
        assert r.avito_status(avito_id) == "contacted"  # nothing was repaired on the way
        late = await r.reconciler(QUIET).run(fix=False)  # the grace is over: a real difference
        assert await r.findings(late) == {("missing_in_avito", "repairable"): 1}


async def test_statuses_still_queued_are_in_flight_and_parked_ones_are_not(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        _, amo_id = await moved_unseen(r)
        await r.changes().resync(amo_id)  # logged and queued, not sent yet: the outbox's backlog
        await r.move(amo_id, "bought_out", price=41_000)  # and moved on again, unseen

        queued = await r.reconciler(QUIET).run(fix=True)
        assert await r.findings(queued) == {("missing_in_avito", "in_flight"): 1}

        async with r.db.transaction() as session:
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.state == OutboxState.PENDING)
                .values(state=OutboxState.PARKED)
            )
        parked = await r.reconciler(QUIET).run(fix=False)  # waits for a person: not on its way
        assert await r.findings(parked) == {("missing_in_avito", "repairable"): 1}
