"""The drift gauge on /metrics follows the latest reconciliation run, on both databases."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from tests.integration.sync.reconcile_rig import rig

from leadbridge.domain.reconciliation import DriftKind

pytestmark = pytest.mark.anyio


def drift() -> dict[str, float | None]:
    return {
        kind.value: REGISTRY.get_sample_value("leadbridge_drift_items", {"kind": kind.value})
        for kind in DriftKind
    }


async def test_the_gauge_shows_the_latest_runs_drift_and_drops_to_zero_when_fixed(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        avito_id, amo_id = await r.new_lead()
        assert amo_id is not None
        await r.move(amo_id, "contacted")
        await r.sync(amo_id)
        await r.move(amo_id, "price_agreed")  # its webhook never arrives
        await r.new_lead(with_deal=False)  # and this request never became a deal

        await r.reconciler().run(fix=True)
        assert drift() == {
            "missing_in_crm": 1,
            "missing_in_avito": 1,
            "status_mismatch": 0,
            "amount_mismatch": 0,
        }
        await r.send_all()  # the repair queued by the run reaches Avito
        assert r.avito_status(avito_id) == "price_agreed"

        await r.reconciler().run(fix=True)
        assert drift() == {
            "missing_in_crm": 1,  # still no deal: a person's job
            "missing_in_avito": 0,  # repaired: the gauge drops, it does not keep the old value
            "status_mismatch": 0,
            "amount_mismatch": 0,
        }
