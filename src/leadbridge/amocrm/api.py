"""The amoCRM API v4 calls leadbridge makes, each a thin typed wrapper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

import structlog

from leadbridge.amocrm.client import RETRYABLE_STATUSES, AmoApiError, AmoClient

Json = dict[str, Any]
log = structlog.get_logger(__name__)
GATEWAY_TIMEOUT = 504
# A 504 on a batch is answered by smaller batches, not by sending the same one again.
RETRYABLE_EXCEPT_TIMEOUT = RETRYABLE_STATUSES - {GATEWAY_TIMEOUT}
DEALS_PER_REQUEST = 250


class AmoApi:
    def __init__(self, client: AmoClient) -> None:
        self.client = client

    async def pipelines(self) -> list[Json]:
        return await self._embedded_list("/api/v4/leads/pipelines", "pipelines")

    async def create_pipeline(self, pipeline: Json) -> Json:
        answer = await self.client.request("POST", "/api/v4/leads/pipelines", json=[pipeline])
        created: Json = answer["_embedded"]["pipelines"][0]
        return created

    async def add_statuses(self, pipeline_id: int, statuses: Sequence[Json]) -> list[Json]:
        path = f"/api/v4/leads/pipelines/{pipeline_id}/statuses"
        answer = await self.client.request("POST", path, json=list(statuses))
        return list(answer["_embedded"]["statuses"])

    async def lead_fields(self) -> list[Json]:
        return [
            field async for field in self._pages("/api/v4/leads/custom_fields", "custom_fields")
        ]

    async def create_lead_fields(self, fields: Sequence[Json]) -> list[Json]:
        answer = await self.client.request("POST", "/api/v4/leads/custom_fields", json=list(fields))
        return list(answer["_embedded"]["custom_fields"])

    async def loss_reasons(self) -> list[Json]:
        return await self._embedded_list("/api/v4/leads/loss_reasons", "loss_reasons")

    async def create_loss_reasons(self, names: Sequence[str]) -> list[Json]:
        body = [{"name": name, "sort": 10 * index} for index, name in enumerate(names, start=1)]
        answer = await self.client.request("POST", "/api/v4/leads/loss_reasons", json=body)
        return list(answer["_embedded"]["loss_reasons"])

    async def subscribe_webhook(self, destination: str, settings: Sequence[str]) -> Json:
        body = {"destination": destination, "settings": list(settings), "sort": 10}
        answer: Json = await self.client.request("POST", "/api/v4/webhooks", json=body)
        return answer

    async def webhooks(self, destination: str) -> list[Json]:
        params = {"filter[destination]": destination}
        answer = await self.client.request("GET", "/api/v4/webhooks", params=params)
        return list(answer["_embedded"]["webhooks"]) if answer else []

    async def create_complex(self, leads: Sequence[Json]) -> list[Json]:
        """`/leads/complex` answers a bare array, one row per lead, keyed by our request_id.

        On a 504 amoCRM advises a smaller batch: the two halves go separately (recursively) and
        their answers are merged. A single lead's 504 is raised: the caller's recovery looks the
        deal up before creating it again, in case amoCRM wrote it after all.
        """
        try:
            answer = await self.client.request(
                "POST",
                "/api/v4/leads/complex",
                json=list(leads),
                retry_statuses=RETRYABLE_EXCEPT_TIMEOUT,
            )
        except AmoApiError as error:
            if error.status != GATEWAY_TIMEOUT or len(leads) < 2:
                raise
            middle = len(leads) // 2
            log.warning("amocrm.complex_halved", size=len(leads))
            first = await self.create_complex(leads[:middle])
            return first + await self.create_complex(leads[middle:])
        return list(answer)

    async def add_notes(self, notes: Sequence[Json]) -> None:
        await self.client.request("POST", "/api/v4/leads/notes", json=list(notes))

    async def lead_notes(self, lead_id: int) -> list[Json]:
        """The deal's notes (204 when it has none)."""
        params = {"limit": 250}
        return [
            note async for note in self._pages(f"/api/v4/leads/{lead_id}/notes", "notes", params)
        ]

    async def lead(self, lead_id: int) -> Json | None:
        """The deal with its loss reason; None when amoCRM answers 204 (no such deal)."""
        answer: Json | None = await self.client.request(
            "GET", f"/api/v4/leads/{lead_id}", params={"with": "loss_reason"}
        )
        return answer

    async def leads_matching(self, query: str) -> list[Json]:
        params = {"query": query, "limit": 250}
        return [lead async for lead in self._pages("/api/v4/leads", "leads", params)]

    async def lead_status_events(self, lead_id: int) -> list[Json]:
        """One deal's stage changes, oldest first (event ids sort by creation)."""
        params = {
            "filter[type]": "lead_status_changed",
            "filter[entity]": "lead",
            "filter[entity_id][]": lead_id,
            "limit": 100,
        }
        events = [event async for event in self._pages("/api/v4/events", "events", params)]
        return sorted(events, key=lambda event: (event.get("created_at", 0), str(event.get("id"))))

    async def status_events(self, since: int, until: int | None = None) -> list[Json]:
        """Every stage change created in [since, until] (both inclusive; open-ended without
        `until`), in whatever order amoCRM lists them: the caller sorts."""
        params: dict[str, Any] = {
            "filter[type]": "lead_status_changed",
            "filter[created_at][from]": since,
            "limit": 100,
        }
        if until is not None:
            params["filter[created_at][to]"] = until
        return [event async for event in self._pages("/api/v4/events", "events", params)]

    async def deals(self, lead_ids: Iterable[int]) -> dict[int, Json]:
        """Deals by id with their loss reasons, 250 to a request (amoCRM's page size); a deal
        amoCRM does not list (deleted) is absent from the answer."""
        wanted = sorted(set(lead_ids))
        found: dict[int, Json] = {}
        for start in range(0, len(wanted), DEALS_PER_REQUEST):
            chunk = wanted[start : start + DEALS_PER_REQUEST]
            params: list[tuple[str, str | int]] = [("filter[id][]", deal) for deal in chunk]
            params += [("with", "loss_reason"), ("limit", DEALS_PER_REQUEST)]
            answer = await self.client.request("GET", "/api/v4/leads", params=params)
            for deal in (answer or {}).get("_embedded", {}).get("leads", []):
                found[int(deal["id"])] = deal
        return found

    async def pipeline_deal_pages(self, pipeline_id: int) -> AsyncIterator[list[Json]]:
        """The pipeline's deals with their loss reasons, one list per request of up to 250
        (an empty list for an empty answer)."""
        params = {"filter[pipeline_id]": pipeline_id, "with": "loss_reason", "limit": 250}
        async for page in self._page_lists("/api/v4/leads", "leads", params):
            yield page

    async def _embedded_list(self, path: str, key: str) -> list[Json]:
        answer = await self.client.request("GET", path)
        return list(answer["_embedded"][key]) if answer else []

    async def _pages(
        self, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Json]:
        async for items in self._page_lists(path, key, params):
            for item in items:
                yield item

    async def _page_lists(
        self, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Json]]:
        """Follow `page` while `_links.next` exists; a 204 (even after a next link) ends it."""
        page = 1
        while True:
            answer = await self.client.request("GET", path, params={**(params or {}), "page": page})
            if not answer:
                yield []  # one list per request, the empty answer's too: callers count requests
                return
            yield list(answer.get("_embedded", {}).get(key, []))
            if "next" not in answer.get("_links", {}):
                return
            page += 1
