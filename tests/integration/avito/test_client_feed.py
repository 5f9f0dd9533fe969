import pytest
from tests.integration.avito.harness import rig

from leadbridge.avito.payload import parse_lead
from leadbridge.sandbox.avito import AvitoSandboxConfig

LEADS = 23


@pytest.mark.anyio
async def test_feed_is_read_page_by_page_to_its_end() -> None:
    config = AvitoSandboxConfig(method_rps={"leads_get": 5}, seed=4)
    async with rig(config, feed_page_size=5, leads_get_rps=5) as r:
        added = [r.sandbox.add_lead() for _ in range(LEADS)]
        positions: list[int] = []
        leads: list[dict[str, object]] = []
        last_id: int | None = None
        while True:
            page = await r.client.fetch_leads(last_id)
            if not page.leads:
                break
            assert len(page.leads) <= 5
            positions.extend(position for position, _ in page.leads)
            leads.extend(lead for _, lead in page.leads)
            last_id = page.last_id
        past_the_end = await r.client.fetch_leads(last_id)
        stats = r.stats()
    assert positions == list(range(1, LEADS + 1))
    assert leads == added
    assert [parse_lead(lead).avito_lead_id for lead in leads] == [lead["id"] for lead in added]
    assert (past_the_end.leads, past_the_end.last_id) == ([], LEADS)
    assert stats["requests"]["leads_get"] == 7  # five pages and two empty answers
    assert stats["rate_limited"] == {}


@pytest.mark.anyio
async def test_feed_trouble_is_raised_for_the_poller_to_retry() -> None:
    async with rig() as r:
        await r.post_admin("/sandbox/faults", {"error_rate": 1.0})
        with pytest.raises(Exception, match=r"50[0-9]"):
            await r.client.fetch_leads(None)
