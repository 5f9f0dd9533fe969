"""Avito partner API client: every answer classified, never a crash on an unexpected body.

The names of what it sends and the places of what it reads are the mapping's (`[endpoints]`,
`[status_items]`, `[feed]`, `[webhook]`, `[answers]`, `avito/wire_mapping.py`); what in an
answer the mapping does not expect comes back as drift beside the result, for the caller to
note (this adapter keeps no table)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import httpx

from leadbridge.avito.answer_bodies import error_code_drifts
from leadbridge.avito.answer_bodies import read_status as read_status_answer
from leadbridge.avito.apply_answers import classify_answer, same_for_all, token_outcome
from leadbridge.avito.envelope import ChangeBody, change_kind, value_at
from leadbridge.avito.mapping import LeadMapping
from leadbridge.avito.mapping_in_force import active_mapping
from leadbridge.avito.results import (
    ApplyResult,
    ErrorAnswer,
    FeedPage,
    Outcome,
    StatusReading,
    StatusUpdate,
)
from leadbridge.avito.token import AvitoToken
from leadbridge.avito.wire_mapping import Endpoints, WireMapping
from leadbridge.config import AvitoSettings
from leadbridge.metrics import instrument
from leadbridge.ratelimit import (
    SAFETY_MARGIN_S,
    RateLimiter,
    SlidingWindowLimiter,
)

RATE_LIMIT_PAUSE_S = 1.0
SETTLEMENT_RETRY_PAUSES_S = (1.0, 2.0, 4.0, 8.0, 0.0)
# Rare requests at one per second (the token) get a wide margin: one late send must not make two
# fall into one of Avito's windows, and their throughput does not matter.
RARE_MARGIN_S = 0.25
# The token, and the status read-back that only follows an ambiguous answer or a reconciliation.
RARE_METHODS = frozenset({"token", "status_get"})


def method_limits(settings: AvitoSettings) -> dict[str, tuple[float, float]]:
    """Every limited method: its rate and the safety margin of its windows; the key names the
    method in the shared limiter (`sync/avito_limiters.py`)."""
    rates = {
        "status_apply": settings.status_apply_rps,
        "leads_get": settings.leads_get_rps,
        "status_get": settings.status_read_rps,
        "token": settings.token_rps,
    }
    return {
        key: (rps, RARE_MARGIN_S if key in RARE_METHODS else SAFETY_MARGIN_S)
        for key, rps in rates.items()
    }


def local_limiters(settings: AvitoSettings) -> dict[str, RateLimiter]:
    """In-process limiters: right for one process (SQLite, sandbox, benches)."""
    return {
        key: SlidingWindowLimiter.per_second(rps, name=f"avito_{key}")
        for key, (rps, _margin) in method_limits(settings).items()
    }


class WebhookUnreachable(RuntimeError):
    """Avito refused to register our webhook: its `{}` ping to the URL got no 2xx in time."""


class AvitoClient:
    def __init__(
        self,
        settings: AvitoSettings,
        http: httpx.AsyncClient | None = None,
        *,
        limiters: Mapping[str, RateLimiter] | None = None,
        mapping: LeadMapping | None = None,
    ) -> None:
        self._settings = settings
        self._mapping = mapping
        self._http = instrument(
            http or httpx.AsyncClient(base_url=settings.base_url, timeout=settings.timeout_s),
            "avito",
        )
        self.limiters = dict(limiters) if limiters is not None else local_limiters(settings)
        self._token = AvitoToken(
            self._http, settings, self.limiters.get("token"), path=self._paths.token
        )

    @property
    def _wire(self) -> WireMapping:
        """Paths, status names and shapes are the mapping's (the one given, else the one in
        force): a change on Avito's side is followed in the mapping file, not here."""
        return (self._mapping or active_mapping()).wire

    @property
    def _paths(self) -> Endpoints:
        return self._wire.endpoints

    async def aclose(self) -> None:
        await self._http.aclose()

    async def fetch_leads(self, last_id: int | None) -> FeedPage:
        shape = self._wire.feed
        body = {shape.request_cursor: last_id, shape.request_limit: self._settings.feed_page_size}
        response = await self._call("leads_get", "POST", self._paths.leads, json=body)
        response.raise_for_status()
        answer = response.json()
        leads: list[tuple[int, dict[str, object]]] = []
        unreadable: list[tuple[object, str]] = []
        rows = answer.get(shape.rows) if isinstance(answer, dict) else None
        for row in rows if isinstance(rows, list) else []:
            try:
                leads.append((int(row[shape.row_id]), self._feed_item(row)))
            except (KeyError, TypeError, ValueError) as error:
                # One bad row must not fail the page on every pull: it is set aside.
                unreadable.append((row, f"feed row: {type(error).__name__}: {error}"))
        next_id = value_at(answer, shape.cursor_path)
        try:
            last = int(next_id) if next_id is not None else last_id
        except (TypeError, ValueError):
            last = last_id
        return FeedPage(leads=leads, last_id=last, unreadable=unreadable)

    def _feed_item(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row's new request; or the whole row, as a ChangeBody, when it is a seller's change
        (its id and time lie beside the request). A type we do not know is read as a request:
        rows had no type before changes existed."""
        kind = change_kind(row.get(self._wire.feed.row_type), self._mapping)
        if kind is not None:
            return ChangeBody(row, kind, in_feed=True)
        return dict(row[self._wire.feed.row_lead])

    async def register_webhook(self, url: str, secret: str) -> None:
        shape = self._wire.webhook
        payload = {shape.subscription_url: url, shape.subscription_secret: secret}
        response = await self._call(None, "PUT", self._paths.webhook, json=payload)
        if response.status_code == 400:
            # Avito pings the URL with `{}` first and refuses it unless the ping is answered 2xx
            # within 2 s (docs/avito-partner-api.md §5): our own web process is not up yet, or
            # too busy, or the public URL is wrong. Only the last will not pass by itself.
            # The URL holds the webhook token: it stays out of the message (and so of logs).
            raise WebhookUnreachable(f"Avito could not reach web.public_url: {response.text[:200]}")
        response.raise_for_status()

    async def ready_to_apply(self, ahead_s: float = 0.0) -> None:
        """Wait until a status batch could be sent within `ahead_s`: the relay gathers its batch
        after this, so statuses queued while the limit was full leave together in the next
        request."""
        limiter = self.limiters.get("status_apply")
        if limiter is not None:
            await limiter.ready(ahead_s)

    async def apply_statuses(self, updates: Sequence[StatusUpdate]) -> list[ApplyResult]:
        body = {self._wire.status_items.items_field: [self._item(update) for update in updates]}
        try:
            response = await self._call("status_apply", "POST", self._paths.status_apply, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:  # never left this machine
            return same_for_all(updates, Outcome.RETRYABLE, f"transport: {type(error).__name__}")
        except httpx.TransportError as error:  # sent, maybe applied: the answer is lost
            detail = f"transport: {type(error).__name__}"
            return same_for_all(updates, Outcome.RETRYABLE, detail, ambiguous=True)
        except httpx.HTTPStatusError as error:  # only the token request raises: 5xx or 429
            return same_for_all(
                updates, token_outcome(error), f"token: HTTP {error.response.status_code}"
            )
        results = classify_answer(updates, response, self._wire.answers)
        return [self._in_our_terms(result) for result in results]

    async def read_status(self, lead_id: str) -> str | None:
        """The lead's status on Avito's side, in our terms (see `read_back`)."""
        return (await self.read_back(lead_id)).status

    async def read_back(self, lead_id: str) -> StatusReading:
        """The lead's status on Avito's side, in our terms, and the answer it came in.

        Raises `ErrorAnswer` (an `httpx.HTTPStatusError`) for a non-2xx answer, with the drift
        its error body shows, and `UnreadableAnswer` (a `ValueError`) for a body the mapping's
        `[answers]` does not fit; transport errors pass as httpx raises them."""
        template = self._paths.status_read
        response = await self._call("status_get", "GET", template.format(lead_id=lead_id))
        if not response.is_success:
            raise ErrorAnswer(response, error_code_drifts(response, self._wire.answers))
        # Named by the path's template: one drift for every lead, and no lead's id in its name.
        reading = read_status_answer(response, self._wire.answers, f"GET {template}")
        if reading.status is None:
            return reading
        return StatusReading(self._wire.statuses.ours(reading.status), reading.answer)

    async def fetch_settlement_answer(self, date_from: date, date_to: date) -> object:
        """Avito's settlement answer for the week [date_from, date_to), Mondays, Europe/Moscow,
        as received: the JSON, or the text when it is not JSON. The settlement keeps every line
        raw before it reads any (`settlement/avito_side.py`). An HTTP error raises."""
        params = {"dateFrom": date_from.isoformat(), "dateTo": date_to.isoformat()}
        # A weekly read that a person or the demo waits for: ride out a 429 burst or a 5xx
        # in place rather than fail the whole settlement.
        for pause_s in SETTLEMENT_RETRY_PAUSES_S:
            response = await self._call(None, "GET", self._paths.settlement, params=params)
            if response.status_code != 429 and response.status_code < 500:
                break
            await asyncio.sleep(pause_s)
        response.raise_for_status()
        try:
            return response.json()
        except ValueError:  # kept, and quarantined as an answer that cannot be read
            return response.text

    async def _call(
        self, method_key: str | None, verb: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        """One authenticated request; a rejected token is renewed once and the request replayed."""
        for attempt in range(2):
            token = await self._token.get()
            headers = {"Authorization": f"Bearer {token}"}
            async with self._slot(method_key):
                response = await self._http.request(verb, path, headers=headers, **kwargs)
            if method_key is not None:
                await self._heed(self.limiters[method_key], response)
            if response.status_code in (401, 403) and attempt == 0:
                self._token.invalidate(token)
                continue
            return response
        return response

    async def _heed(self, limiter: RateLimiter, response: httpx.Response) -> None:
        """What Avito said about its limit reaches every worker through the shared limiter."""
        if response.status_code == 429:
            # 429 means we outran Avito (a clock jump, another client on the same account):
            # every caller pauses.
            await limiter.pause(RATE_LIMIT_PAUSE_S)
        elif response.headers.get("x-ratelimit-remaining") == "0":
            # Avito's window is full: the next request leaves a whole interval after this
            # answer, counting from the answer as the server may have seen it late.
            await limiter.pause(limiter.interval_s)

    def _item(self, update: StatusUpdate) -> dict[str, Any]:
        names = self._wire.status_items
        item: dict[str, Any] = {
            names.lead_id_field: update.lead_id,
            names.status_field: self._wire.statuses.avito(update.status),
            names.occurred_at_field: update.occurred_at.isoformat().replace("+00:00", "Z"),
            names.idempotency_key_field: update.idempotency_key,
        }
        if update.price_kopecks is not None:
            item[names.price_field] = update.price_kopecks
        if update.reason is not None:
            item[names.reason_field] = update.reason
        code = names.reason_codes.get(update.reason or "") or names.reason_codes.get(update.status)
        if code is not None:
            item[names.reason_code_field] = code
        return item

    def _in_our_terms(self, result: ApplyResult) -> ApplyResult:
        if result.current_status is None:
            return result
        return replace(result, current_status=self._wire.statuses.ours(result.current_status))

    def _slot(self, method_key: str | None) -> contextlib.AbstractAsyncContextManager[float]:
        if method_key is None:
            return contextlib.nullcontext(0.0)
        return self.limiters[method_key].slot()
