import anyio
import pytest
from tests.integration.avito.harness import Rig, rig, update

from leadbridge.avito.results import Outcome


async def read_twenty_at_once(rig: Rig) -> list[str | None]:
    results: list[str | None] = []

    async def read() -> None:
        results.append(await rig.client.read_status("b-1"))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(read)
    return results


@pytest.mark.anyio
async def test_twenty_concurrent_calls_share_one_token_request() -> None:
    async with rig() as r:
        r.sandbox.add_lead({"id": "b-1"})
        first = await read_twenty_at_once(r)
        again = await read_twenty_at_once(r)
        stats = r.stats()
    assert first == again == [None] * 20
    assert stats["requests"]["token"] == 1
    assert stats["requests"]["status_get"] == 40
    assert r.sandbox.tokens.issued == 1


@pytest.mark.anyio
@pytest.mark.parametrize(("fault", "rejection"), [("expire", 403), ("revoke", 401)])
async def test_a_rejected_token_is_renewed_once_and_every_call_replayed(
    fault: str, rejection: int
) -> None:
    async with rig() as r:
        r.sandbox.add_lead({"id": "b-1"})
        await r.client.read_status("b-1")
        await r.post_admin(f"/sandbox/tokens/{fault}", {})
        results = await read_twenty_at_once(r)
        stats = r.stats()
    assert results == [None] * 20
    assert r.sandbox.tokens.issued == 2  # one renewal for twenty rejected calls
    assert stats["requests"]["token"] == 2
    assert stats["requests"]["status_get"] > 21  # the rejected ones were replayed


@pytest.mark.anyio
async def test_token_expiring_between_status_batches_loses_nothing() -> None:
    async with rig(status_apply_rps=50) as r:
        r.sandbox.add_lead({"id": "b-1"})
        await r.post_admin("/sandbox/faults", {"expire_tokens_at_request": 4})
        results = [(await r.client.apply_statuses([update("b-1", step)]))[0] for step in range(6)]
        status = await r.client.read_status("b-1")
    assert [result.outcome for result in results] == [Outcome.OK] * 6
    assert status == "bought_out"
    assert r.sandbox.tokens.issued == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "detail"),
    [({"error_rate": 1.0}, "token: HTTP 5"), ({"burst_429_probability": 1.0}, "token: HTTP 429")],
)
async def test_token_endpoint_trouble_is_retryable_not_a_crash(
    fault: dict[str, float], detail: str
) -> None:
    async with rig() as r:
        r.sandbox.add_lead({"id": "b-1"})
        await r.post_admin("/sandbox/faults", fault)
        failed = await r.client.apply_statuses([update("b-1", 0)])
        calm = {"error_rate": 0.0, "burst_429_probability": 0.0, "burst_429_length": 1}
        await r.post_admin("/sandbox/faults", calm)
        retries = [(await r.client.apply_statuses([update("b-1", 0)]))[0] for _ in range(3)]
    assert failed[0].outcome is Outcome.RETRYABLE
    assert failed[0].detail.startswith(detail)
    # What is left of a burst is retryable too; then the status goes through once.
    outcomes = [result.outcome for result in retries]
    assert set(outcomes) <= {Outcome.RETRYABLE, Outcome.OK, Outcome.ALREADY_APPLIED}
    assert outcomes.count(Outcome.OK) == 1
