"""Webhook push: subscription with a ping, at-least-once delivery with backoff."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from leadbridge.sandbox.avito.clock import rfc3339, utc_now

SECRET_HEADER = "X-Avito-Webhook-Secret"
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)
PARALLEL_DELIVERIES = 16


@dataclass(frozen=True)
class Subscription:
    url: str
    secret: str
    registered_at: str


@dataclass
class DeliveryCounters:
    events: int = 0
    attempts: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    given_up: int = 0
    duplicates_sent: int = 0
    reordered: int = 0
    held: int = 0
    in_flight: int = 0


def envelope(
    lead: dict[str, Any], event_type: str = "lead.created", change: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A new lead's event; a seller's change (`change`: its `changeId` and `changedAt`) carries
    the lead as it stands after it."""
    return {
        "id": str(uuid.uuid4()),
        "version": 1,
        "timestamp": rfc3339(utc_now()),
        "payload": {"type": event_type, **(change or {}), "lead": lead},
    }


def _is_ack(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def backoff_s(attempt: int, scale: float) -> float:
    """Pause after failed attempt number `attempt` (1-based), before the next one."""
    return BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1] * scale


class WebhookDispatcher:
    """Pushes each event to the current subscription until it is answered 2xx.

    Retries go to whatever URL is subscribed at the time of the attempt; an event whose
    subscription was removed is given up. Redeliveries of an event keep its envelope id.
    With `reorder_probability` an event is held back and sent right after the next one (or
    alone after `reorder_hold_s`), so the receiver sees a later event before an earlier one.
    """

    def __init__(
        self,
        *,
        ack_timeout_s: float = 2.0,
        max_attempts: int = 10,
        duplicate_probability: float = 0.0,
        reorder_probability: float = 0.0,
        reorder_hold_s: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.ack_timeout_s = ack_timeout_s
        self.max_attempts = max_attempts
        self.duplicate_probability = duplicate_probability
        self.reorder_probability = reorder_probability
        self.reorder_hold_s = reorder_hold_s
        self.retry_delay_scale = 1.0
        self.subscription: Subscription | None = None
        self.counters = DeliveryCounters()
        self.recent: deque[dict[str, Any]] = deque(maxlen=100)
        self._rng = random.Random(f"{seed}:webhook")
        # Its own generator: turning reordering on leaves the duplicate draws as they were.
        self._reorder_rng = random.Random(f"{seed}:webhook-reorder")
        self._held: dict[str, Any] | None = None
        self._backlog: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        # A sender's delivery workers are few: a backlog goes out a bounded number at a time,
        # and the receiver's 2 s start when a request is sent, not while it waits for a worker.
        # (One client with hundreds of connections also spends its time in its own pool.)
        self._senders = asyncio.Semaphore(PARALLEL_DELIVERIES)

    async def register(self, url: str, secret: str) -> bool:
        """Ping `url` with `{}`; on a 2xx within the ack timeout it replaces the subscription."""
        if not _is_ack(await self._post(url, secret, {})):
            return False
        self.subscription = Subscription(url, secret, rfc3339(utc_now()))
        self._schedule_backlog()
        return True

    def unregister(self) -> None:
        self.subscription = None

    def publish(
        self,
        lead: dict[str, Any],
        event_type: str = "lead.created",
        change: dict[str, Any] | None = None,
    ) -> None:
        if self.subscription is None:
            return
        self.counters.events += 1
        event = envelope(lead, event_type, change)
        held, self._held = self._held, None
        self.counters.held = 0
        if held is not None:
            self.counters.reordered += 1
            self._backlog.append(lambda: self._deliver_in_order(event, held))
        elif self._reorder_rng.random() < self.reorder_probability:
            self._held, self.counters.held = event, 1
            self._backlog.append(lambda: self._release_later(event))
        else:
            self._backlog.append(lambda: self._deliver(event))
        self._schedule_backlog()

    async def _deliver_in_order(self, *events: dict[str, Any]) -> None:
        for event in events:
            await self._deliver(event)

    async def _release_later(self, event: dict[str, Any]) -> None:
        """A held event that no later one came to overtake goes out on its own."""
        await asyncio.sleep(self.reorder_hold_s)
        if self._held is event:
            self._held, self.counters.held = None, 0
            await self._deliver(event)

    def _schedule_backlog(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        while self._backlog:
            task = loop.create_task(self._backlog.pop(0)())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: dict[str, Any]) -> None:
        self.counters.in_flight += 1
        try:
            await self._deliver_with_retries(event)
        finally:
            self.counters.in_flight -= 1

    async def _deliver_with_retries(self, event: dict[str, Any]) -> None:
        for attempt in range(1, self.max_attempts + 1):
            subscription = self.subscription
            if subscription is None:
                break
            self.counters.attempts += 1
            status = await self._post(subscription.url, subscription.secret, event)
            self._log(event, attempt, status)
            if _is_ack(status):
                self.counters.delivered += 1
                await self._maybe_duplicate(subscription, event)
                return
            self.counters.failed_attempts += 1
            if attempt < self.max_attempts:
                await asyncio.sleep(backoff_s(attempt, self.retry_delay_scale))
        self.counters.given_up += 1

    async def _maybe_duplicate(self, subscription: Subscription, event: dict[str, Any]) -> None:
        if self._rng.random() < self.duplicate_probability:
            self.counters.duplicates_sent += 1
            await self._post(subscription.url, subscription.secret, event)

    async def _post(self, url: str, secret: str, body: dict[str, Any]) -> int | None:
        """The status the receiver answered within the ack timeout; None if it did not."""
        client = self._client or self._open_client()
        async with self._senders:
            try:
                async with asyncio.timeout(self.ack_timeout_s):
                    response = await client.post(url, json=body, headers={SECRET_HEADER: secret})
            except (httpx.HTTPError, TimeoutError):
                return None
        return response.status_code

    def _open_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=PARALLEL_DELIVERIES)
        self._client = httpx.AsyncClient(timeout=self.ack_timeout_s, limits=limits)
        return self._client

    def _log(self, event: dict[str, Any], attempt: int, status: int | None) -> None:
        self.recent.append(
            {
                "eventId": event["id"],
                "leadId": event["payload"]["lead"].get("id"),
                "attempt": attempt,
                "status": status,
                "ok": _is_ack(status),
                "at": rfc3339(utc_now()),
            }
        )

    def to_json(self) -> dict[str, Any]:
        subscription = self.subscription
        return {
            "url": subscription.url if subscription else None,
            "registeredAt": subscription.registered_at if subscription else None,
            "counters": asdict(self.counters),
            "recent": list(self.recent),
        }

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
