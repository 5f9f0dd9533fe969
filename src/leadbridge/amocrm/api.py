"""The amoCRM API v4 calls leadbridge makes, each a thin typed wrapper.

Request bodies go in as JSON; answers come out as the dataclasses of `amocrm/answers.py`, so no
caller reads amoCRM's keys. `AmoApi` owns its client: its tokens (`bootstrap`, `hold_token`) and
its connections (`aclose`, or `async with`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import structlog

from leadbridge.amocrm import answers
from leadbridge.amocrm.answers import (
    AmoAnswerError,
    Deal,
    DealCreated,
    Json,
    LeadField,
    Named,
    Note,
    Pipeline,
    StatusEvent,
    Webhook,
)
from leadbridge.amocrm.client import RETRYABLE_STATUSES, AmoApiError, AmoClient
from leadbridge.amocrm.events import in_amocrm_order
from leadbridge.amocrm.tasks import Task, TaskCreated, task, task_created
from leadbridge.amocrm.users import User, user

log = structlog.get_logger(__name__)
GATEWAY_TIMEOUT = 504
# A 504 on a batch is answered by smaller batches, not by sending the same one again.
RETRYABLE_EXCEPT_TIMEOUT = RETRYABLE_STATUSES - {GATEWAY_TIMEOUT}
DEALS_PER_REQUEST = 250
# A task batch that failed with 5xx may have been written: only a 429 is surely not.
TASK_RETRY_STATUSES = frozenset({429})


class AmoApi:
    def __init__(self, client: AmoClient) -> None:
        self.client = client

    # --- lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def bootstrap(self) -> None:
        """Make sure a token exists: a long-lived token, or the authorization code exchanged."""
        await self.client.tokens.bootstrap()

    async def exchange_code(self, code: str) -> None:
        """`leadbridge auth amocrm CODE`: a new authorization code for a new token pair."""
        await self.client.tokens.exchange_code(code)

    async def hold_token(self) -> None:
        """Have the access token in memory now: on SQLite, reading it from the database inside
        a transaction the caller is about to hold would wait for that very transaction."""
        await self.client.tokens.access_token()

    @property
    def blocked_until(self) -> datetime | None:
        """None while amoCRM answers; else the earliest time of the next probe."""
        return self.client.blocked_until

    @property
    def account_url(self) -> str:
        """The account's address (the API's own), that links to its deals start with."""
        return str(self.client.http.base_url).rstrip("/")

    def usage(self) -> tuple[int, int]:
        """Requests in the limiter's current window, and the most it admits (for the dashboard)."""
        return self.client.limiter.usage()

    # --- provisioning ------------------------------------------------------------------------
    async def pipelines(self) -> list[Pipeline]:
        answer = await self.client.request("GET", "/api/v4/leads/pipelines")
        return answers.parsed(answers.embedded(answer, "pipelines"), answers.pipeline, "pipeline")

    async def create_pipeline(self, pipeline: Json) -> Pipeline:
        answer = await self.client.request("POST", "/api/v4/leads/pipelines", json=[pipeline])
        created = answers.parsed(answers.embedded(answer, "pipelines"), answers.pipeline)
        if not created:
            raise AmoAnswerError("amoCRM answered the new pipeline without its id")
        return created[0]

    async def add_statuses(self, pipeline_id: int, statuses: Sequence[Json]) -> list[Named]:
        path = f"/api/v4/leads/pipelines/{pipeline_id}/statuses"
        answer = await self.client.request("POST", path, json=list(statuses))
        return answers.parsed(answers.embedded(answer, "statuses"), answers.named, "status")

    async def lead_fields(self) -> list[LeadField]:
        items = [item async for item in self._pages("/api/v4/leads/custom_fields", "custom_fields")]
        return answers.parsed(items, answers.lead_field, "custom field")

    async def create_lead_fields(self, fields: Sequence[Json]) -> list[LeadField]:
        answer = await self.client.request("POST", "/api/v4/leads/custom_fields", json=list(fields))
        return answers.parsed(
            answers.embedded(answer, "custom_fields"), answers.lead_field, "custom field"
        )

    async def loss_reasons(self) -> list[Named]:
        answer = await self.client.request("GET", "/api/v4/leads/loss_reasons")
        return answers.parsed(answers.embedded(answer, "loss_reasons"), answers.named, "reason")

    async def create_loss_reasons(self, names: Sequence[str]) -> list[Named]:
        body = [{"name": name, "sort": 10 * index} for index, name in enumerate(names, start=1)]
        answer = await self.client.request("POST", "/api/v4/leads/loss_reasons", json=body)
        return answers.parsed(answers.embedded(answer, "loss_reasons"), answers.named, "reason")

    async def subscribe_webhook(self, destination: str, settings: Sequence[str]) -> Webhook:
        body = {"destination": destination, "settings": list(settings), "sort": 10}
        return answers.webhook(await self.client.request("POST", "/api/v4/webhooks", json=body))

    async def webhooks(self, destination: str) -> list[Webhook]:
        params = {"filter[destination]": destination}
        answer = await self.client.request("GET", "/api/v4/webhooks", params=params)
        return [answers.webhook(item) for item in answers.embedded(answer, "webhooks")]

    # --- deals and notes ---------------------------------------------------------------------
    async def create_complex(self, leads: Sequence[Json]) -> list[DealCreated]:
        """`/leads/complex` answers a bare array, one row per lead, keyed by our request_id
        (items built by `amocrm/deal_payload.py`).

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
        return answers.parsed(answer, answers.deal_created, "created deal")

    async def update_deals(self, deals: Sequence[Json]) -> None:
        """`PATCH /api/v4/leads`: each element names its deal by `id` (at most 250 of them).
        Writing the same values again changes nothing, so a retry is safe."""
        await self.client.request("PATCH", "/api/v4/leads", json=list(deals))

    async def add_notes(self, notes: Sequence[Json]) -> None:
        await self.client.request("POST", "/api/v4/leads/notes", json=list(notes))

    async def lead_notes(self, lead_id: int) -> list[Note]:
        """The deal's notes (204 when it has none)."""
        params = {"limit": 250}
        path = f"/api/v4/leads/{lead_id}/notes"
        return [answers.note(item) async for item in self._pages(path, "notes", params)]

    async def lead(self, lead_id: int) -> Deal | None:
        """The deal with its loss reason; None when amoCRM answers 204 (no such deal)."""
        answer = await self.client.request(
            "GET", f"/api/v4/leads/{lead_id}", params={"with": "loss_reason"}
        )
        return None if answer is None else answers.deal(answer, known_id=lead_id)

    async def leads_matching(self, query: str) -> list[Deal]:
        params = {"query": query, "limit": 250}
        items = [item async for item in self._pages("/api/v4/leads", "leads", params)]
        return answers.parsed(items, answers.deal, "deal")

    async def deals(self, lead_ids: Iterable[int]) -> dict[int, Deal]:
        """Deals by id with their loss reasons, 250 to a request (amoCRM's page size); a deal
        amoCRM does not list (deleted) is absent from the answer."""
        wanted = sorted(set(lead_ids))
        found: dict[int, Deal] = {}
        for start in range(0, len(wanted), DEALS_PER_REQUEST):
            chunk = wanted[start : start + DEALS_PER_REQUEST]
            params: list[tuple[str, str | int]] = [("filter[id][]", deal) for deal in chunk]
            params += [("with", "loss_reason"), ("limit", DEALS_PER_REQUEST)]
            answer = await self.client.request("GET", "/api/v4/leads", params=params)
            for deal in answers.parsed(answers.embedded(answer, "leads"), answers.deal, "deal"):
                found[deal.id] = deal
        return found

    async def pipeline_deal_pages(self, pipeline_id: int) -> AsyncIterator[list[Deal]]:
        """The pipeline's deals with their loss reasons, one list per request of up to 250
        (an empty list for an empty answer)."""
        params = {"filter[pipeline_id]": pipeline_id, "with": "loss_reason", "limit": 250}
        async for page in self._page_lists("/api/v4/leads", "leads", params):
            yield answers.parsed(page, answers.deal, "deal")

    # --- users and tasks ---------------------------------------------------------------------
    async def users(self) -> list[User]:
        """Every user of the account (administrators only may list them)."""
        items = [item async for item in self._pages("/api/v4/users", "users", {"limit": 250})]
        return answers.parsed(items, user, "user")

    async def create_tasks(self, tasks: Sequence[Json]) -> list[TaskCreated]:
        """One request (the caller sends at most 50); rows keyed by our request_id."""
        answer = await self.client.request(
            "POST", "/api/v4/tasks", json=list(tasks), retry_statuses=TASK_RETRY_STATUSES
        )
        return answers.parsed(answers.embedded(answer, "tasks"), task_created, "created task")

    async def deal_tasks(self, deal_ids: Iterable[int]) -> list[Task]:
        """The tasks of these deals, open or done (204 when they have none)."""
        params: list[tuple[str, str | int]] = [("filter[entity_type]", "leads")]
        params += [("filter[entity_id][]", deal) for deal in sorted(set(deal_ids))]
        params.append(("limit", 250))
        found: list[Task] = []
        page = 1
        while True:  # pages by hand: `_pages` takes no repeated keys
            paged = [*params, ("page", page)]
            answer = await self.client.request("GET", "/api/v4/tasks", params=paged)
            found += answers.parsed(answers.embedded(answer, "tasks"), task, "task")
            if not answer or "next" not in answer.get("_links", {}):
                return found
            page += 1

    # --- stage changes -----------------------------------------------------------------------
    async def lead_status_events(self, lead_id: int) -> list[StatusEvent]:
        """One deal's stage changes, oldest first (event ids sort by creation)."""
        params = {
            "filter[type]": "lead_status_changed",
            "filter[entity]": "lead",
            "filter[entity_id][]": lead_id,
            "limit": 100,
        }
        items = [item async for item in self._pages("/api/v4/events", "events", params)]
        return in_amocrm_order(answers.status_event(item) for item in items)

    async def status_events(self, since: int, until: int | None = None) -> list[StatusEvent]:
        """Every stage change created in [since, until] (both inclusive; open-ended without
        `until`), in whatever order amoCRM lists them: the caller sorts."""
        params: dict[str, Any] = {
            "filter[type]": "lead_status_changed",
            "filter[created_at][from]": since,
            "limit": 100,
        }
        if until is not None:
            params["filter[created_at][to]"] = until
        items = [item async for item in self._pages("/api/v4/events", "events", params)]
        return [answers.status_event(item) for item in items]

    # --- paging ------------------------------------------------------------------------------
    async def _pages(
        self, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Any]:
        async for items in self._page_lists(path, key, params):
            for item in items:
                yield item

    async def _page_lists(
        self, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Any]]:
        """Follow `page` while `_links.next` exists; a 204 (even after a next link) ends it."""
        page = 1
        while True:
            answer = await self.client.request("GET", path, params={**(params or {}), "page": page})
            if not answer:
                yield []  # one list per request, the empty answer's too: callers count requests
                return
            yield answers.embedded(answer, key)
            if "next" not in answer.get("_links", {}):
                return
            page += 1
