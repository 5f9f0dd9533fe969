"""Avito's weekly settlement rows → typed lines with integer kopecks.

Money is parsed strictly: an amount that is not an integer number of kopecks rejects the whole
answer, because a settlement diff built on a guessed amount is worse than none. Everything
else is tolerant: unknown row types pass through as text, unknown fields are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

COMMISSION = "commission"
STORNO = "storno"
KNOWN_FIELDS = frozenset({"lineId", "leadId", "type", "amount", "basePrice", "occurredAt"})


class SettlementError(ValueError):
    """Avito's settlement answer cannot be read without guessing."""


@dataclass(frozen=True, slots=True)
class SettlementRow:
    line_id: str
    lead_id: str
    type: str  # COMMISSION, STORNO, or a type Avito added later
    amount_kopecks: int  # storno lines are negative
    base_price_kopecks: int | None
    occurred_at: datetime
    unknown_fields: Mapping[str, Any] = field(default_factory=dict)


def parse_settlement(body: Any) -> list[SettlementRow]:
    if not isinstance(body, Mapping) or not isinstance(body.get("result"), list):
        raise SettlementError("settlement answer must be an object with a result list")
    return [_row(raw) for raw in body["result"]]


def _row(raw: Any) -> SettlementRow:
    if not isinstance(raw, Mapping):
        raise SettlementError("settlement row must be an object")
    base_price = raw.get("basePrice")
    return SettlementRow(
        line_id=_text(raw, "lineId"),
        lead_id=_text(raw, "leadId"),
        type=_text(raw, "type"),
        amount_kopecks=_kopecks(raw.get("amount"), "amount"),
        base_price_kopecks=None if base_price is None else _kopecks(base_price, "basePrice"),
        occurred_at=_moment(raw.get("occurredAt")),
        unknown_fields={key: value for key, value in raw.items() if key not in KNOWN_FIELDS},
    )


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise SettlementError(f"settlement row has no {key}")
    return str(value)


def _kopecks(value: Any, name: str) -> int:
    # bool is an int in Python and a float may hide a rouble amount: neither is kopecks.
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettlementError(f"settlement row {name} must be integer kopecks, got {value!r}")
    return value


def _moment(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise SettlementError(f"settlement row occurredAt is not a date-time: {value!r}") from error
    if moment.tzinfo is None:
        raise SettlementError(f"settlement row occurredAt has no offset: {value!r}")
    return moment
