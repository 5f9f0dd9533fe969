"""Webhook delivery as amoCRM does it: form-encoded v2 bodies, 2 s timeout, retries, and
switching a hook off after more than 100 invalid answers in 2 hours (reference §9.3).

UNCONFIRMED in the reference, chosen here: `old_pipeline_id` is always sent with a status
change; a PATCH that changes the stage fires `status_lead` and then `update_lead` (each to the
hooks subscribed to it); every deal created by POST /leads or /leads/complex fires `add_lead`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

if TYPE_CHECKING:
    from leadbridge.sandbox.amocrm.state import AmoSandbox

# Delay before each retry, and the previous answers that allow it (reference §9.3).
RETRY_SCHEDULE_S = (300.0, 900.0, 900.0, 3600.0)
INVALID_WINDOW_S = 2 * 3600.0
DISABLE_AFTER_INVALID = 100  # more than this many in the window, the latest invalid → disabled


def encode_webhook_form(payload: Mapping[str, Any]) -> str:
    """Nested dicts and lists → PHP-style keys: {"a": [{"b": 1}]} → "a[0][b]=1"."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}[{key}]" if prefix else str(key), item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        else:
            pairs.append((prefix, "" if value is None else str(value)))

    walk("", payload)
    return urlencode(pairs)


def _may_retry(attempt: int, status: int) -> bool:
    """Attempts 2–3 follow any failure; 4–5 only a 499 or a 5xx."""
    if attempt <= 2:
        return True
    return status == 499 or 500 <= status <= 599


def _lead_item(lead: Mapping[str, Any], account_id: int, at: int) -> dict[str, Any]:
    """A deal in the v2 field names webhooks use (reference §9.2)."""
    return {
        "id": lead["id"],
        "name": lead["name"],
        "status_id": lead["status_id"],
        "pipeline_id": lead["pipeline_id"],
        "price": lead["price"] or 0,
        "responsible_user_id": lead.get("responsible_user_id") or 0,
        "last_modified": at,
        "modified_user_id": 0,
        "created_user_id": 0,
        "date_create": lead["created_at"],
        "account_id": account_id,
    }


class WebhookDispatcher:
    def __init__(self, sandbox: AmoSandbox) -> None:
        self._sandbox = sandbox
        self.hooks: dict[str, dict[str, Any]] = {}
        self.retry_delay_scale = 1.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self._invalid: dict[str, deque[float]] = {}  # destination → times of invalid answers

    def subscribe(self, destination: str, settings: list[str], sort: int) -> dict[str, Any]:
        now = int(self._sandbox.now())
        hook = self.hooks.get(destination)
        if hook is None:
            hook = {
                "id": self._sandbox.next_id(),
                "destination": destination,
                "created_at": now,
                "account_id": self._sandbox.config.account_id,
                "created_by": 0,
                "delivered": 0,
                "failed": 0,
                "attempts": 0,
                "auto_disabled": 0,
            }
            self.hooks[destination] = hook
        # Re-posting is how an account re-enables a hook; its bad record starts afresh.
        self._invalid[destination] = deque()
        hook.update(
            settings=list(settings), sort=sort, updated_at=now, disabled=False, invalid_last_2h=0
        )
        return hook

    def status_changed(self, lead: Mapping[str, Any], before: tuple[int, int], at: int) -> None:
        item = {
            **_lead_item(lead, self._sandbox.config.account_id, at),
            "old_status_id": before[0],
            "old_pipeline_id": before[1],
        }
        self._fire("status_lead", "status", item)

    def lead_changed(self, action: str, lead: Mapping[str, Any], at: int) -> None:
        """`add` or `update`: the `add_lead` / `update_lead` events, same v2 field set."""
        item = _lead_item(lead, self._sandbox.config.account_id, at)
        self._fire(f"{action}_lead", action, item)

    def _fire(self, setting: str, action: str, item: Mapping[str, Any]) -> None:
        account = self._sandbox.config
        body = encode_webhook_form(
            {
                "leads": {action: [item]},
                "account": {"subdomain": account.subdomain, "id": account.account_id},
            }
        )
        for hook in self.hooks.values():
            if setting in hook["settings"] and not hook["disabled"]:
                self._send(hook, body)

    def _send(self, hook: dict[str, Any], body: str) -> None:
        """The fault profile may drop, duplicate or delay (and so reorder) a delivery."""
        faults = self._sandbox.faults
        for _ in range(faults.webhook_copies()):
            delay = faults.webhook_delay_s()
            task = asyncio.get_running_loop().create_task(self._deliver(hook, body, delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, hook: dict[str, Any], body: str, delay_s: float = 0.0) -> None:
        if delay_s:
            await asyncio.sleep(delay_s)
        if self._http is None:
            # amoCRM does not queue its deliveries behind a connection pool: each has its own
            # 2 s budget, so the pool is unbounded.
            self._http = httpx.AsyncClient(
                timeout=self._sandbox.config.webhook_timeout_s,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=50),
            )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        for attempt in range(1, len(RETRY_SCHEDULE_S) + 2):
            if hook["disabled"]:
                return
            hook["attempts"] += 1
            try:
                response = await self._http.post(hook["destination"], content=body, headers=headers)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            if 100 <= status <= 299:
                hook["delivered"] += 1
                return
            hook["failed"] += 1
            self._invalid_answer(hook)
            if attempt > len(RETRY_SCHEDULE_S) or not _may_retry(attempt, status):
                return
            await asyncio.sleep(RETRY_SCHEDULE_S[attempt - 1] * self.retry_delay_scale)

    def _invalid_answer(self, hook: dict[str, Any]) -> None:
        now = self._sandbox.now()
        log = self._invalid.setdefault(hook["destination"], deque())
        log.append(now)
        while log and now - log[0] > INVALID_WINDOW_S:
            log.popleft()
        hook["invalid_last_2h"] = len(log)
        if len(log) > DISABLE_AFTER_INVALID and not hook["disabled"]:
            hook["disabled"] = True
            hook["auto_disabled"] += 1

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._http is not None:
            await self._http.aclose()
