"""The deals' current price in amoCRM: a price corrected after the buyout changes the commission.

One request per 250 deals (amoCRM's page size), within the client's rate limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from leadbridge.amocrm.api import AmoApi


class AmoPrices:
    def __init__(self, api: AmoApi) -> None:
        self._api = api

    async def current(self, amo_lead_ids: Sequence[int]) -> Mapping[int, int]:
        deals = await self._api.deals(amo_lead_ids)
        # amoCRM keeps whole rubles; a deal without a price keeps the one we sent.
        return {deal_id: deal.price * 100 for deal_id, deal in deals.items() if deal.price}
