"""What the sandbox remembers: the lead feed, each lead's status history, used keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    @property
    def lead_id(self) -> str:
        return str(self.payload["id"])

    @property
    def status(self) -> str | None:
        return self.history[-1].status if self.history else None

    def status_json(self) -> dict[str, Any]:
        return {
            "leadId": self.lead_id,
            "status": self.status,
            "history": [entry.to_json() for entry in self.history],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.lead_id,
            "position": self.position,
            "payload": self.payload,
            "status": self.status,
            "history": [entry.to_json() for entry in self.history],
            "forbidden": [attempt.to_json() for attempt in self.forbidden],
        }


@dataclass
class LeadBook:
    """The feed in arrival order; positions start at 1 and strictly increase."""

    feed: list[LeadRecord] = field(default_factory=list)
    by_id: dict[str, LeadRecord] = field(default_factory=dict)
    applied_keys: dict[str, str] = field(default_factory=dict)
    forbidden_total: int = 0
    already_applied_total: int = 0

    def add(self, payload: dict[str, Any]) -> LeadRecord:
        lead_id = str(payload["id"])
        if lead_id in self.by_id:
            raise DuplicateLeadError(lead_id)
        record = LeadRecord(position=len(self.feed) + 1, payload=payload)
        self.feed.append(record)
        self.by_id[lead_id] = record
        return record

    def page(self, last_id: int | None, limit: int) -> list[LeadRecord]:
        start = max(last_id or 0, 0)
        return self.feed[start : start + limit]

    def get(self, lead_id: str) -> LeadRecord | None:
        return self.by_id.get(lead_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "leads": [record.to_json() for record in self.feed],
            "feed_size": len(self.feed),
        }
