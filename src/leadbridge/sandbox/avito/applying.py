"""Batch status apply: each item checked and applied on its own, in array order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadbridge.sandbox.avito.clock import parse_rfc3339, rfc3339, utc_now
from leadbridge.sandbox.avito.state import ForbiddenAttempt, HistoryEntry, LeadBook, LeadRecord
from leadbridge.sandbox.avito.transitions import StatusDictionary


@dataclass(frozen=True)
class StatusItem:
    lead_id: str
    status: str
    occurred_at: str
    idempotency_key: str
    price: int | None
    reason: str | None
    comment: str | None = None


@dataclass(frozen=True)
class ApplyRules:
    """What an apply call checks against, and what happens after each success."""

    statuses: StatusDictionary
    optional_fields: frozenset[str] = frozenset()  # accepted on top of the documented ones
    after_success: Callable[[LeadRecord], None] | None = field(default=None, compare=False)


class InvalidItemError(ValueError):
    """The item is malformed or lacks what its status requires."""


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidItemError(f"{key} must be a non-empty string")
    return value


def _optional_text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidItemError(f"{key} must be a non-empty string when given")
    return value


def _price(raw: Mapping[str, Any]) -> int | None:
    price = raw.get("price")
    if price is None:
        return None
    if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
        raise InvalidItemError("price must be a positive integer number of kopecks")
    return price


def parse_item(raw: Mapping[str, Any], optional_fields: frozenset[str] = frozenset()) -> StatusItem:
    """The item, or InvalidItemError. Fields outside the contract and `optional_fields` are
    ignored, as a server that has not learned them yet would."""
    occurred_at = _text(raw, "occurredAt")
    if parse_rfc3339(occurred_at) is None:
        raise InvalidItemError("occurredAt must be an RFC 3339 date-time with an offset")
    return StatusItem(
        lead_id=_text(raw, "leadId"),
        status=_text(raw, "status"),
        occurred_at=occurred_at,
        idempotency_key=_text(raw, "idempotencyKey"),
        price=_price(raw),
        reason=_optional_text(raw, "reason"),
        comment=_optional_text(raw, "comment") if "comment" in optional_fields else None,
    )


def _check_requirements(item: StatusItem, statuses: StatusDictionary) -> None:
    if not statuses.is_known(item.status):
        raise InvalidItemError(f"unknown status {item.status!r}")
    if item.status in statuses.requires_price and item.price is None:
        raise InvalidItemError(f"status {item.status!r} requires price")
    if item.status in statuses.requires_reason and item.reason is None:
        raise InvalidItemError(f"status {item.status!r} requires reason")


def _answer(
    raw: Mapping[str, Any], result: str, current: str | None, message: str | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "leadId": raw.get("leadId"),
        "idempotencyKey": raw.get("idempotencyKey"),
        "result": result,
        "currentStatus": current,
    }
    if message is not None:
        answer["message"] = message
    return answer


def _apply_one(book: LeadBook, rules: ApplyRules, raw: Mapping[str, Any]) -> dict[str, Any]:
    statuses = rules.statuses
    try:
        item = parse_item(raw, rules.optional_fields)
    except InvalidItemError as error:
        return _answer(raw, "invalid", None, str(error))
    record = book.get(item.lead_id)
    if item.idempotency_key in book.applied_keys:
        book.already_applied_total += 1
        return _answer(raw, "already_applied", record.status if record else None)
    if record is None:
        return _answer(raw, "not_found", None, f"lead {item.lead_id!r} not found")
    try:
        _check_requirements(item, statuses)
    except InvalidItemError as error:
        return _answer(raw, "invalid", record.status, str(error))
    if not statuses.allows(record.status, item.status):
        return _forbid(book, statuses, record, item, raw)
    _record(book, record, item)
    if rules.after_success is not None:
        rules.after_success(record)
    return _answer(raw, "success", record.status)


def _forbid(
    book: LeadBook,
    statuses: StatusDictionary,
    record: LeadRecord,
    item: StatusItem,
    raw: Mapping[str, Any],
) -> dict[str, Any]:
    book.forbidden_total += 1
    record.forbidden.append(ForbiddenAttempt(item.status, record.status, rfc3339(utc_now())))
    allowed = ", ".join(statuses.allowed_after(record.status)) or "none"
    message = f"transition {record.status} -> {item.status} is forbidden; allowed: {allowed}"
    return _answer(raw, "forbidden", record.status, message)


def _record(book: LeadBook, record: LeadRecord, item: StatusItem) -> None:
    entry = HistoryEntry(
        status=item.status,
        occurred_at=item.occurred_at,
        applied_at=rfc3339(utc_now()),
        idempotency_key=item.idempotency_key,
        price=item.price,
        reason=item.reason,
        comment=item.comment,
    )
    record.history.append(entry)
    book.applied_keys[item.idempotency_key] = record.lead_id


def apply_items(
    book: LeadBook, rules: ApplyRules, items: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    return [_apply_one(book, rules, raw) for raw in items]
