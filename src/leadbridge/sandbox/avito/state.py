"""What the sandbox remembers: the lead feed, each lead's status history, used keys."""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

NO_ALIASES: Mapping[str, str] = {}

# Why an item was invalid, where a breaking-change switch is the reason: counted apart.
InvalidCause = Literal["renamed_status", "reason_code"]


class DuplicateLeadError(ValueError):
    """A lead with this id is already in the feed."""


@dataclass(frozen=True)
class HistoryEntry:
    status: str
    occurred_at: str
    applied_at: str
    idempotency_key: str
    price: int | None = None
    reason: str | None = None
    comment: str | None = None
    reason_code: str | None = None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "status": self.status,
            "occurredAt": self.occurred_at,
            "appliedAt": self.applied_at,
            "idempotencyKey": self.idempotency_key,
        }
        if self.price is not None:
            entry["price"] = self.price
        if self.reason is not None:
            entry["reason"] = self.reason
        if self.comment is not None:
            entry["comment"] = self.comment
        if self.reason_code is not None:
            entry["reasonCode"] = self.reason_code
        return entry


@dataclass(frozen=True)
class ForbiddenAttempt:
    status: str
    current_status: str | None
    at: str

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "currentStatus": self.current_status, "at": self.at}


@dataclass
class LeadRecord:
    position: int
    payload: dict[str, Any]
    history: list[HistoryEntry] = field(default_factory=list)
    forbidden: list[ForbiddenAttempt] = field(default_factory=list)
    withdrawn: bool = False  # the seller cancelled it: Avito applies nothing to it any more
    edits: int = 0  # how many times the seller changed it

    @property
    def lead_id(self) -> str:
        """The id as the sandbox looks leads up: text, whatever type the payload uses."""
        return str(self.payload["id"])

    @property
    def wire_id(self) -> str | int:
        """The id as Avito writes it in answers: an integer when the payload's id is one."""
        lead_id = self.payload["id"]
        return lead_id if is_integer_id(lead_id) else self.lead_id

    @property
    def status(self) -> str | None:
        """The status as it was recorded."""
        return self.history[-1].status if self.history else None

    def status_as(self, aliases: Mapping[str, str]) -> str | None:
        """The status under the name it goes by now (`aliases`: recorded name → current one)."""
        status = self.status
        return aliases.get(status, status) if status is not None else None

    def status_json(self, aliases: Mapping[str, str] = NO_ALIASES) -> dict[str, Any]:
        return {
            "leadId": self.wire_id,
            "status": self.status_as(aliases),
            "history": [entry.to_json() for entry in self.history],
        }

    def to_json(self, aliases: Mapping[str, str] = NO_ALIASES) -> dict[str, Any]:
        return {
            "id": self.lead_id,
            "position": self.position,
            "payload": self.payload,
            "status": self.status_as(aliases),
            "history": [entry.to_json() for entry in self.history],
            "forbidden": [attempt.to_json() for attempt in self.forbidden],
            "withdrawn": self.withdrawn,
            "edits": self.edits,
        }


@dataclass(frozen=True)
class ChangeRecord:
    """A seller's change of a lead, in the feed after the lead: the lead as it stood after it."""

    position: int
    event_type: str  # lead.updated, lead.withdrawn
    change_id: str
    changed_at: str
    lead: dict[str, Any]

    def feed_row(self) -> dict[str, Any]:
        return {
            "id": self.position,
            "type": self.event_type,
            "changeId": self.change_id,
            "changedAt": self.changed_at,
            "lead": self.lead,
        }


@dataclass
class LeadBook:
    """The feed in arrival order; positions start at 1 and strictly increase. `feed` holds the
    leads, `changes` the sellers' changes of them: the feed's rows are both, by position."""

    feed: list[LeadRecord] = field(default_factory=list)
    changes: list[ChangeRecord] = field(default_factory=list)
    withdrawn_total: int = 0
    withdrawn_refused_total: int = 0  # status items refused because the seller withdrew
    by_id: dict[str, LeadRecord] = field(default_factory=dict)
    applied_keys: dict[str, str] = field(default_factory=dict)
    forbidden_total: int = 0
    already_applied_total: int = 0
    invalid_total: int = 0
    invalid_renamed_status_total: int = 0  # items that used a status name renamed away
    invalid_reason_code_total: int = 0  # items whose reasonCode was missing or wrong
    integer_id_leads: int = 0  # leads whose payload id is an integer

    def add(self, payload: dict[str, Any]) -> LeadRecord:
        lead_id = str(payload["id"])
        if lead_id in self.by_id:
            raise DuplicateLeadError(lead_id)
        record = LeadRecord(position=self.next_position, payload=payload)
        self.feed.append(record)
        self.by_id[lead_id] = record
        self.integer_id_leads += is_integer_id(payload["id"])
        return record

    def count_invalid(self, cause: InvalidCause | None) -> None:
        self.invalid_total += 1
        if cause == "renamed_status":
            self.invalid_renamed_status_total += 1
        elif cause == "reason_code":
            self.invalid_reason_code_total += 1

    @property
    def next_position(self) -> int:
        return len(self.feed) + len(self.changes) + 1

    def add_change(
        self, event_type: str, change_id: str, changed_at: str, lead: dict[str, Any]
    ) -> ChangeRecord:
        change = ChangeRecord(self.next_position, event_type, change_id, changed_at, lead)
        self.changes.append(change)
        return change

    def page(self, last_id: int | None, limit: int) -> list[LeadRecord | ChangeRecord]:
        start = max(last_id or 0, 0)
        if not self.changes:  # positions are the leads' places in the feed
            return list(self.feed[start : start + limit])
        leads: list[LeadRecord | ChangeRecord] = list(
            self.feed[bisect.bisect_right(self.feed, start, key=_position) :][:limit]
        )
        changes: list[LeadRecord | ChangeRecord] = list(
            self.changes[bisect.bisect_right(self.changes, start, key=_position) :][:limit]
        )
        merged = heapq.merge(leads, changes, key=_position)
        return list(itertools.islice(merged, limit))

    def get(self, lead_id: str) -> LeadRecord | None:
        return self.by_id.get(lead_id)

    def to_json(self, aliases: Mapping[str, str] = NO_ALIASES) -> dict[str, Any]:
        return {
            "leads": [record.to_json(aliases) for record in self.feed],
            "feed_size": len(self.feed),
            "changes": len(self.changes),
        }


def _position(record: LeadRecord | ChangeRecord) -> int:
    return record.position


def is_integer_id(value: object) -> bool:
    # bool is an int to Python, never to JSON.
    return isinstance(value, int) and not isinstance(value, bool)
