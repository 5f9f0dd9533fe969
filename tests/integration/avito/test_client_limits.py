import anyio
import pytest
from tests.integration.avito.harness import rig, update

from leadbridge.avito.results import Outcome
from leadbridge.sandbox.avito import AvitoSandboxConfig

LIMIT = 5
CALLS = 12


@pytest.mark.anyio
async def test_each_method_stays_within_the_sandbox_limit_with_no_429() -> None:
    config = AvitoSandboxConfig(
        method_rps={"status_apply": LIMIT, "leads_get": LIMIT}, rate_headers_absent_probability=0.5
    )
    async with rig(config, status_apply_rps=LIMIT, leads_get_rps=LIMIT, feed_page_size=1) as r:
        for n in range(CALLS):
            r.sandbox.add_lead({"id": f"b-{n}"})
        outcomes: list[Outcome] = []
        pages: list[int] = []

        async def apply(n: int) -> None:
            [result] = await r.client.apply_statuses([update(f"b-{n}", 0)])
            outcomes.append(result.outcome)

        async def read(n: int) -> None:
            page = await r.client.fetch_leads(n)
            pages.extend(position for position, _ in page.leads)

        async with anyio.create_task_group() as group:
            for n in range(CALLS):  # both methods at once, every call at once
                group.start_soon(apply, n)
                group.start_soon(read, n)
        stats = r.stats()
    assert outcomes == [Outcome.OK] * CALLS
    assert sorted(pages) == list(range(1, CALLS + 1))
    assert stats["rate_limited"] == {}
    assert stats["max_rps_observed"]["status_apply"] <= LIMIT
    assert stats["max_rps_observed"]["leads_get"] <= LIMIT
    assert stats["requests"]["status_apply"] == CALLS
