import dataclasses
import time

import pytest
from tests.integration.avito.harness import rig, update

from leadbridge.avito.results import Outcome
from leadbridge.ratelimit import SlidingWindowLimiter

CALM = {"error_rate": 0.0, "burst_429_probability": 0.0, "apply_lost_answer_rate": 0.0}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        ({"burst_429_probability": 1.0, "burst_429_length": 1}, "429"),
        ({"error_rate": 1.0}, "HTTP 5"),
        ({"apply_lost_answer_rate": 1.0}, "HTTP 502"),
    ],
)
async def test_429_and_5xx_are_retryable_for_the_whole_batch(
    fault: dict[str, float], detail: str
) -> None:
    async with rig() as r:
        for lead_id in ("b-1", "b-2"):
            r.sandbox.add_lead({"id": lead_id})
        await r.client.read_status("b-1")  # a token before the faults start
        await r.post_admin("/sandbox/faults", fault)
        failed = await r.client.apply_statuses([update("b-1", 0), update("b-2", 0)])
        limiter = r.client.limiters["status_apply"]
        assert isinstance(limiter, SlidingWindowLimiter)
        paused = limiter.delay(time.monotonic())
        await r.post_admin("/sandbox/faults", CALM)
        resent = await r.client.apply_statuses([update("b-1", 0), update("b-2", 0)])
    assert [result.outcome for result in failed] == [Outcome.RETRYABLE] * 2
    assert all(detail in result.detail for result in failed)
    assert (paused > 0) is (detail == "429")  # a 429 makes every sender pause
    # Resending with the same keys is safe: a lost answer shows up as already applied.
    lost = "502" in detail
    expected = Outcome.ALREADY_APPLIED if lost else Outcome.OK
    assert [result.outcome for result in resent] == [expected] * 2


@pytest.mark.anyio
async def test_business_results_are_classified_per_item() -> None:
    async with rig() as r:
        for lead_id in ("b-1", "b-2", "b-3"):
            r.sandbox.add_lead({"id": lead_id})
        await r.client.apply_statuses([update("b-1", 0)])
        no_price = dataclasses.replace(update("b-3", 2), price_kopecks=None)
        results = await r.client.apply_statuses(
            [
                update("b-1", 0, key="b-1:1"),  # sent before: the answer was lost
                update("b-1", 2),  # skips `contacted`
                update("b-404", 0),
                update("b-3", 0),
                update("b-3", 1),
                no_price,
                update("b-2", 0),
            ]
        )
    assert [(r.outcome, r.detail.split(":")[0], r.current_status) for r in results] == [
        (Outcome.ALREADY_APPLIED, "already_applied", "accepted"),
        (Outcome.FORBIDDEN, "forbidden", "accepted"),
        (Outcome.PERMANENT, "not_found", None),
        (Outcome.OK, "success", "accepted"),
        (Outcome.OK, "success", "contacted"),
        (Outcome.PERMANENT, "invalid", "contacted"),
        (Outcome.OK, "success", "accepted"),
    ]
    assert "allowed: contacted" in results[1].detail
    assert "requires price" in results[5].detail
