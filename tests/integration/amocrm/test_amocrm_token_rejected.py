"""An access token amoCRM stops accepting before its stated expiry is refreshed, not reused."""

from __future__ import annotations

import pytest
from tests.integration.amocrm.test_amocrm_edges import rig

from leadbridge.sandbox.chaos import expire_amocrm_tokens

pytestmark = pytest.mark.anyio


async def test_a_token_rejected_before_its_expiry_is_refreshed_and_the_call_goes_on(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        await r.api.pipelines()
        expire_amocrm_tokens(r.sandbox)

        pipelines = await r.api.pipelines()

        assert pipelines
        assert r.sandbox.stats.token_grants == {"authorization_code": 1, "refresh_token": 1}
