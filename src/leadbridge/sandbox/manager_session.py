"""A manager's browser session in the amoCRM simulator: the requests a person retries, the
pages of a listing, a deal opened before it is moved, and the first-call task ticked off."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import structlog

from leadbridge.amocrm.tasks import FIRST_CALL_TEXT
from leadbridge.domain.funnel import LOST_STATUS_ID, WON_STATUS_ID

log = structlog.get_logger(__name__)

RETRY_PAUSE_S, MAX_ATTEMPTS = 0.05, 40
TASK_POLL_S = 0.2
CALLED = "Связался с продавцом"


class RetriesExhausted(RuntimeError):
    """The amoCRM simulator kept failing a request a manager retried."""


async def closed_meanwhile(
    client: httpx.AsyncClient, deal_id: int, headers: Mapping[str, str]
) -> bool:
    """The manager opens the deal before moving it: won, lost or gone, there is nothing to do."""
    response = await request(client, "GET", f"/api/v4/leads/{deal_id}", headers=headers)
    if response.status_code == 204:
        return True
    return int(response.json()["status_id"]) in (WON_STATUS_ID, LOST_STATUS_ID)


async def tick_off_call(
    client: httpx.AsyncClient, deal_id: int, headers: Mapping[str, str], wait_s: float
) -> int:
    """Complete the deal's open first-call task, looking for it up to `wait_s` (the bridge adds
    it just after the deal); 1 if there was one to complete."""
    params = {
        "filter[entity_type]": "leads",
        "filter[entity_id][]": deal_id,
        "filter[is_completed]": 0,
    }
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        tasks = [
            task
            async for task in pages(client, "/api/v4/tasks", "tasks", params, headers)
            if task.get("text") == FIRST_CALL_TEXT
        ]
        if tasks:
            break
        if asyncio.get_running_loop().time() >= deadline:
            log.debug("manager.no_first_call_task", deal_id=deal_id)
            return 0
        await asyncio.sleep(TASK_POLL_S)
    done = {"is_completed": True, "result": {"text": CALLED}}
    for task in tasks:
        await request(client, "PATCH", f"/api/v4/tasks/{task['id']}", json=done, headers=headers)
    return 1


async def request(
    client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """Retry what a person would retry: throttling, amoCRM's block page (403, the demo's
    `--chaos` blocks the account for a few seconds), server errors, a dropped connection."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.TransportError:
            response = None
        if (
            response is not None
            and response.status_code not in (403, 429)
            and response.status_code < 500
        ):
            response.raise_for_status()
            return response
        await asyncio.sleep(min(1.0, RETRY_PAUSE_S * attempt) * random.uniform(0.5, 1.5))
    raise RetriesExhausted(f"{method} {path}")


async def embedded(client: httpx.AsyncClient, path: str, key: str) -> list[dict[str, Any]]:
    return [item async for item in pages(client, path, key, {})]


async def pages(
    client: httpx.AsyncClient,
    path: str,
    key: str,
    params: dict[str, Any],
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[dict[str, Any]]:
    page = 1
    while True:
        query = {**params, "page": page}
        response = await request(client, "GET", path, params=query, headers=headers)
        if response.status_code == 204:
            return
        answer = response.json()
        for item in answer.get("_embedded", {}).get(key, []):
            yield item
        if "next" not in answer.get("_links", {}):
            return
        page += 1
