"""The deals' current price in amoCRM: a price corrected after the buyout changes the commission.

One request per 250 deals (amoCRM's page size), within the client's rate limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from leadbridge.amocrm.api import AmoApi

PAGE = 250


class AmoPrices:
    def __init__(self, api: AmoApi) -> None:
        self._api = api

    async def current(self, amo_lead_ids: Sequence[int]) -> Mapping[int, int]:
        prices: dict[int, int] = {}
        for start in range(0, len(amo_lead_ids), PAGE):
            chunk = amo_lead_ids[start : start + PAGE]
            params = [("filter[id][]", deal) for deal in chunk] + [("limit", PAGE)]
            answer = await self._api.client.request("GET", "/api/v4/leads", params=params)
            for deal in (answer or {}).get("_embedded", {}).get("leads", []):
                # amoCRM keeps whole rubles; a deal without a price keeps the one we sent.
                if deal.get("price"):
                    prices[int(deal["id"])] = int(deal["price"]) * 100
        return prices
