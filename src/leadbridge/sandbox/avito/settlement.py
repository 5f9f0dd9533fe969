"""The weekly settlement: commission lines and storno lines from the statuses Avito accepted.

A week runs Monday 00:00 to Monday 00:00, Europe/Moscow. A line belongs to the week in which
its status occurred (`occurredAt`, as the partner reported it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from leadbridge.sandbox.avito.clock import parse_rfc3339
from leadbridge.sandbox.avito.state import NO_ALIASES, HistoryEntry, LeadBook, LeadRecord
from leadbridge.sandbox.avito.transitions import StatusDictionary

MOSCOW = ZoneInfo("Europe/Moscow")
COMMISSION = "commission"
STORNO = "storno"


class PeriodError(ValueError):
    """The requested period is not one Monday-to-Monday week."""


@dataclass(frozen=True)
class CommissionRule:
    """A percentage of the final price, kept between a minimum and a maximum (kopecks)."""

    percent: Decimal = Decimal("5")
    min_kopecks: int = 30_000
    max_kopecks: int = 500_000

    def __post_init__(self) -> None:
        if not 0 <= self.min_kopecks <= self.max_kopecks:
            raise ValueError("commission bounds must satisfy 0 <= min <= max")

    def commission(self, price_kopecks: int) -> int:
        # Half a kopeck rounds up, as a cashier would; Decimal keeps floats out of money.
        share = (Decimal(price_kopecks) * self.percent / 100).quantize(Decimal(1), ROUND_HALF_UP)
        return min(max(int(share), self.min_kopecks), self.max_kopecks)


@dataclass(frozen=True)
class Week:
    date_from: date
    date_to: date

    @classmethod
    def of(cls, date_from: date, date_to: date) -> Week:
        if date_from.weekday() != 0 or date_to.weekday() != 0:
            raise PeriodError("dateFrom and dateTo must be Mondays")
        if date_to - date_from != timedelta(days=7):
            raise PeriodError("dateTo must be dateFrom plus 7 days")
        return cls(date_from, date_to)

    def contains(self, moment: datetime) -> bool:
        start = datetime.combine(self.date_from, time(), MOSCOW)
        end = datetime.combine(self.date_to, time(), MOSCOW)
        return start <= moment < end


@dataclass(frozen=True)
class SettlementLine:
    line_id: str
    lead_id: str | int  # as Avito writes the lead's id: an integer when the payload's is one
    type: str
    amount: int
    base_price: int
    occurred_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "lineId": self.line_id,
            "leadId": self.lead_id,
            "type": self.type,
            "amount": self.amount,
            "basePrice": self.base_price,
            "occurredAt": self.occurred_at,
        }


def settlement_lines(
    book: LeadBook,
    statuses: StatusDictionary,
    rule: CommissionRule,
    week: Week,
    aliases: Mapping[str, str] = NO_ALIASES,
) -> list[SettlementLine]:
    """`aliases` names recorded statuses as the dictionary in force does (a renamed status),
    so a deal bought out before a rename still counts."""
    lines = [line for record in book.feed for line in _lines_of(record, statuses, rule, aliases)]
    in_week = [line for line in lines if _occurred_in(line, week)]
    return sorted(in_week, key=lambda line: (_moment(line.occurred_at), line.line_id))


def _lines_of(
    record: LeadRecord,
    statuses: StatusDictionary,
    rule: CommissionRule,
    aliases: Mapping[str, str],
) -> Iterator[SettlementLine]:
    bought_out: HistoryEntry | None = None
    for entry in record.history:
        status = aliases.get(entry.status, entry.status)
        if status == statuses.commission_status and entry.price is not None:
            bought_out = entry
            yield _line(record, COMMISSION, rule.commission(entry.price), entry.price, entry)
        elif _reverses_commission(status, statuses) and bought_out is not None:
            assert bought_out.price is not None
            amount = -rule.commission(bought_out.price)
            yield _line(record, STORNO, amount, bought_out.price, entry)


def _reverses_commission(status: str, statuses: StatusDictionary) -> bool:
    return statuses.reversals.get(status) == statuses.commission_status


def _line(
    record: LeadRecord, kind: str, amount: int, base_price: int, entry: HistoryEntry
) -> SettlementLine:
    # Stable across calls: a lead is bought out and returned at most once.
    line_id = f"{record.lead_id}:{kind}"
    return SettlementLine(line_id, record.wire_id, kind, amount, base_price, entry.occurred_at)


def _moment(text: str) -> datetime:
    moment = parse_rfc3339(text)
    assert moment is not None, "status items are validated on apply"
    return moment


def _occurred_in(line: SettlementLine, week: Week) -> bool:
    return week.contains(_moment(line.occurred_at))


def settlement_json(lines: list[SettlementLine], week: Week) -> dict[str, Any]:
    return {
        "period": {
            "dateFrom": week.date_from.isoformat(),
            "dateTo": week.date_to.isoformat(),
            "timeZone": "Europe/Moscow",
        },
        "result": [line.to_json() for line in lines],
        "total": sum(line.amount for line in lines),
    }
