"""`InMemoryAmoApi`: `leadbridge.amocrm.api.AmoApi` with an in-memory amoCRM account behind it.

Modelled on procrastinate's `InMemoryConnector`: the real class's method names, parameters and
return types (the dataclasses of `amocrm/answers.py`, parsed by that module from HAL bodies kept
as amoCRM sends them, shaped like the sandbox simulator's, which follows amoCRM's API v4), an
in-memory body, and a record of what was asked. A flow given one cannot tell it from the real
adapter over HTTP; a test then says what amoCRM did (`add_deal`,
`move`, `fail`, `outage`) and checks what the flow asked (`calls`, `asked`, `requests`).

Faked: what the stage-change flow, its events catch-up and the reconciler's deal listing use —
`lead`, `deals`, `lead_status_events`, `status_events`, `pipeline_deal_pages`. Every other method
of `AmoApi` raises `NotFaked`, so a flow that starts needing one fails its tests loudly rather than
reaching for a network; there is no `client` either (no HTTP at all), and closing it is nothing.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from leadbridge.amocrm import answers
from leadbridge.amocrm.answers import Json
from leadbridge.amocrm.api import DEALS_PER_REQUEST, AmoApi
from leadbridge.amocrm.tasks import Task, TaskCreated
from leadbridge.amocrm.users import User
from leadbridge.sandbox.amocrm.webhooks import encode_webhook_form

EVENTS_PER_PAGE = 100  # the events API's largest page (`limit=100`)
LOST, WON = 143, 142  # amoCRM's closing statuses, the same ids in every pipeline
ACCOUNT_ID = 31_000_001
SUBDOMAIN = "demo"
START = 1_790_000_000  # the fake account's clock at creation (Unix seconds)


class NotFaked(AssertionError):
    """A method of `AmoApi` the in-memory account does not implement was called."""


@dataclass(frozen=True, slots=True)
class Move:
    """One stage change as amoCRM made it: the deal after it, where it was before, and when."""

    deal: Json
    old_status_id: int
    old_pipeline_id: int
    at: int
    event: Json


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    args: tuple[Any, ...]


@dataclass(eq=False)
class InMemoryAmoApi(AmoApi):
    """An amoCRM account in memory, answering through `AmoApi`'s interface.

    `deals_by_id` holds the deals in the shape `GET /api/v4/leads/{id}` answers; `events` the
    `lead_status_changed` events in creation order (ids that sort by creation, as the sandbox's).
    `clock` is amoCRM's time in Unix seconds; each `move` without an explicit time advances it.
    """

    account_id: int = ACCOUNT_ID
    subdomain: str = SUBDOMAIN
    clock: int = START
    loss_reason_names: dict[int, str] = field(default_factory=dict)  # id → name
    deals_by_id: dict[int, Json] = field(default_factory=dict)
    events: list[Json] = field(default_factory=list)
    # What was asked: every call in order, how many of each method, and the HTTP requests the
    # real adapter would have sent for them (`"GET /api/v4/leads"`, one per page or chunk).
    asked: list[Call] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    # Trouble: `outage` is raised by every call while set; `fail` queues errors per method.
    outage: BaseException | None = None
    _failures: dict[str, list[BaseException]] = field(default_factory=dict, init=False)
    _event_seq: int = field(default=0, init=False)

    # --- the account, as a test sets it up -------------------------------------------------
    def add_deal(
        self,
        deal_id: int,
        *,
        status_id: int,
        pipeline_id: int,
        price: int = 0,
        name: str | None = None,
    ) -> Json:
        """A deal as `/leads/complex` leaves it (no status event: creation is not a change)."""
        deal: Json = {
            "id": deal_id,
            "name": name or f"Сделка #{deal_id}",
            "price": price,
            "responsible_user_id": 0,
            "group_id": 0,
            "status_id": status_id,
            "pipeline_id": pipeline_id,
            "loss_reason_id": None,
            "created_by": 0,
            "updated_by": 0,
            "created_at": self.clock,
            "updated_at": self.clock,
            "closed_at": None,
            "closest_task_at": None,
            "is_deleted": False,
            "score": None,
            "account_id": self.account_id,
            "labor_cost": None,
            "custom_fields_values": None,
            "_embedded": {"tags": [], "companies": [], "contacts": []},
            "_links": {"self": {"href": f"/api/v4/leads/{deal_id}"}},
        }
        self.deals_by_id[deal_id] = deal
        return copy.deepcopy(deal)

    def move(
        self,
        deal_id: int,
        *,
        status_id: int,
        pipeline_id: int | None = None,
        price: int | None = None,
        loss_reason_id: int | None = None,
        at: int | None = None,
    ) -> Move:
        """A manager moves the deal (and may set its price or loss reason in the same save):
        the deal changes and a `lead_status_changed` event is recorded, as amoCRM does. No
        webhook is sent: `status_webhook(move)` is the body amoCRM would post, for the test to
        deliver (or lose, or deliver late)."""
        deal = self.deals_by_id[deal_id]
        self.clock = at if at is not None else self.clock + 1
        before = (int(deal["status_id"]), int(deal["pipeline_id"]))
        if price is not None:
            deal["price"] = price
        if loss_reason_id is not None:
            deal["loss_reason_id"] = loss_reason_id
        deal["status_id"] = status_id
        deal["pipeline_id"] = pipeline_id if pipeline_id is not None else before[1]
        deal["updated_at"] = self.clock
        deal["closed_at"] = self.clock if status_id in (WON, LOST) else None
        self._event_seq += 1
        event: Json = {
            "id": f"01{self._event_seq:024d}",
            "type": "lead_status_changed",
            "entity_id": deal_id,
            "entity_type": "lead",
            "created_by": 0,
            "created_at": self.clock,
            "value_before": [{"lead_status": {"id": before[0], "pipeline_id": before[1]}}],
            "value_after": [{"lead_status": {"id": status_id, "pipeline_id": deal["pipeline_id"]}}],
            "account_id": self.account_id,
        }
        self.events.append(event)
        return Move(copy.deepcopy(deal), before[0], before[1], self.clock, copy.deepcopy(event))

    def status_webhook(self, *moves: Move) -> str:
        """amoCRM's `status_lead` webhook for these moves: the form body it posts (v2 field
        names, every value a string), one `leads[status][i]` item per move."""
        items = [
            {
                "id": move.deal["id"],
                "name": move.deal["name"],
                "status_id": move.deal["status_id"],
                "pipeline_id": move.deal["pipeline_id"],
                "price": move.deal["price"] or 0,
                "responsible_user_id": 0,
                "last_modified": move.at,
                "modified_user_id": 0,
                "created_user_id": 0,
                "date_create": move.deal["created_at"],
                "account_id": self.account_id,
                "old_status_id": move.old_status_id,
                "old_pipeline_id": move.old_pipeline_id,
            }
            for move in moves
        ]
        return encode_webhook_form(
            {
                "leads": {"status": items},
                "account": {"subdomain": self.subdomain, "id": self.account_id},
            }
        )

    def fail(self, method: str, error: BaseException, times: int = 1) -> None:
        """The next `times` calls of `method` raise `error` (after being recorded as asked)."""
        if not callable(getattr(AmoApi, method, None)):
            raise NotFaked(f"AmoApi has no method {method!r}")
        self._failures.setdefault(method, []).extend([error] * times)

    def asked_for(self, method: str) -> list[tuple[Any, ...]]:
        """The arguments of every call of `method`, in order."""
        return [call.args for call in self.asked if call.method == method]

    def answer_json(self, deal_id: int) -> Json:
        """The deal as `GET /api/v4/leads/{id}?with=loss_reason` would answer it."""
        return self._with_loss_reason(self.deals_by_id[deal_id])

    # --- AmoApi: the faked calls -----------------------------------------------------------
    async def lead(self, lead_id: int) -> answers.Deal | None:
        """The deal with its loss reason; None when amoCRM answers 204 (no such deal)."""
        self._called("lead", lead_id)
        self._requested("GET", f"/api/v4/leads/{lead_id}")
        if lead_id not in self.deals_by_id:
            return None
        return answers.deal(self.answer_json(lead_id), known_id=lead_id)

    async def deals(self, lead_ids: Iterable[int]) -> dict[int, answers.Deal]:
        """Deals by id with their loss reasons, 250 to a request; unknown ids are absent."""
        wanted = sorted(set(lead_ids))
        self._called("deals", tuple(wanted))
        found: dict[int, answers.Deal] = {}
        for start in range(0, len(wanted), DEALS_PER_REQUEST):
            self._requested("GET", "/api/v4/leads")
            chunk = [i for i in wanted[start : start + DEALS_PER_REQUEST] if i in self.deals_by_id]
            for deal in answers.parsed([self.answer_json(i) for i in chunk], answers.deal):
                found[deal.id] = deal
        return found

    async def lead_status_events(self, lead_id: int) -> list[answers.StatusEvent]:
        """One deal's stage changes, oldest first."""
        self._called("lead_status_events", lead_id)
        events = [event for event in self.events if event["entity_id"] == lead_id]
        self._paged(len(events))
        ordered = sorted(events, key=lambda event: (event["created_at"], str(event["id"])))
        return [answers.status_event(event) for event in ordered]

    async def status_events(
        self, since: int, until: int | None = None
    ) -> list[answers.StatusEvent]:
        """Every stage change created in [since, until] (both inclusive; open-ended without
        `until`), in creation order (the caller must not depend on it)."""
        self._called("status_events", since, until)
        events = [
            event
            for event in self.events
            if since <= event["created_at"] and (until is None or event["created_at"] <= until)
        ]
        self._paged(len(events))
        return [answers.status_event(event) for event in events]

    async def pipeline_deal_pages(self, pipeline_id: int) -> AsyncIterator[list[answers.Deal]]:
        """The pipeline's deals with their loss reasons, one list per request of up to 250
        (one empty list for an empty pipeline, as for amoCRM's 204)."""
        self._called("pipeline_deal_pages", pipeline_id)
        deals = [
            self._with_loss_reason(deal)
            for deal in self.deals_by_id.values()
            if deal["pipeline_id"] == pipeline_id
        ]
        for start in range(0, max(len(deals), 1), DEALS_PER_REQUEST):
            self._requested("GET", "/api/v4/leads")
            yield answers.parsed(deals[start : start + DEALS_PER_REQUEST], answers.deal)

    # --- AmoApi: its lifecycle (nothing to open or close in memory) --------------------------
    async def aclose(self) -> None:
        """Nothing to close: there is no connection."""

    async def bootstrap(self) -> None:
        self._not_faked("bootstrap")

    async def exchange_code(self, code: str) -> None:
        self._not_faked("exchange_code")

    async def hold_token(self) -> None:
        self._not_faked("hold_token")

    def usage(self) -> tuple[int, int]:
        self._not_faked("usage")

    # --- AmoApi: not faked -----------------------------------------------------------------
    async def pipelines(self) -> list[answers.Pipeline]:
        self._not_faked("pipelines")

    async def create_pipeline(self, pipeline: Json) -> answers.Pipeline:
        self._not_faked("create_pipeline")

    async def add_statuses(self, pipeline_id: int, statuses: Sequence[Json]) -> list[answers.Named]:
        self._not_faked("add_statuses")

    async def lead_fields(self) -> list[answers.LeadField]:
        self._not_faked("lead_fields")

    async def create_lead_fields(self, fields: Sequence[Json]) -> list[answers.LeadField]:
        self._not_faked("create_lead_fields")

    async def loss_reasons(self) -> list[answers.Named]:
        self._not_faked("loss_reasons")

    async def create_loss_reasons(self, names: Sequence[str]) -> list[answers.Named]:
        self._not_faked("create_loss_reasons")

    async def subscribe_webhook(self, destination: str, settings: Sequence[str]) -> answers.Webhook:
        self._not_faked("subscribe_webhook")

    async def webhooks(self, destination: str) -> list[answers.Webhook]:
        self._not_faked("webhooks")

    async def create_complex(self, leads: Sequence[Json]) -> list[answers.DealCreated]:
        self._not_faked("create_complex")

    async def add_notes(self, notes: Sequence[Json]) -> None:
        self._not_faked("add_notes")

    async def update_deals(self, deals: Sequence[Json]) -> None:
        self._not_faked("update_deals")

    async def lead_notes(self, lead_id: int) -> list[answers.Note]:
        self._not_faked("lead_notes")

    async def leads_matching(self, query: str) -> list[answers.Deal]:
        self._not_faked("leads_matching")

    async def users(self) -> list[User]:
        self._not_faked("users")

    async def create_tasks(self, tasks: Sequence[Json]) -> list[TaskCreated]:
        self._not_faked("create_tasks")

    async def deal_tasks(self, deal_ids: Iterable[int]) -> list[Task]:
        self._not_faked("deal_tasks")

    # --- bookkeeping -----------------------------------------------------------------------
    def _called(self, method: str, *args: Any) -> None:
        """Record the call, then raise whatever trouble is due for it."""
        self.asked.append(Call(method, args))
        self.calls[method] += 1
        if self.outage is not None:
            raise self.outage
        queued = self._failures.get(method)
        if queued:
            raise queued.pop(0)

    def _requested(self, method: str, path: str) -> None:
        self.requests[f"{method} {path}"] += 1

    def _paged(self, count: int) -> None:
        """The events API's pages: a 204 for none, else one request per 100 events."""
        for _ in range(max(1, -(-count // EVENTS_PER_PAGE))):
            self._requested("GET", "/api/v4/events")

    def _with_loss_reason(self, deal: Json) -> Json:
        """The deal as read `with=loss_reason`: the reason also embedded when it has one."""
        answer = copy.deepcopy(deal)
        reason_id = answer.get("loss_reason_id")
        if reason_id is not None and reason_id in self.loss_reason_names:
            answer["_embedded"]["loss_reason"] = [
                {
                    "id": reason_id,
                    "name": self.loss_reason_names[reason_id],
                    "_links": {"self": {"href": f"/api/v4/leads/loss_reasons/{reason_id}"}},
                }
            ]
        return answer

    def _not_faked(self, method: str) -> NoReturn:
        self.asked.append(Call(method, ()))
        self.calls[method] += 1
        raise NotFaked(f"InMemoryAmoApi does not fake AmoApi.{method}")
