"""Avito's weekly settlement answer → typed lines with integer kopecks, read line by line.

Failure rules first:

- Money is strict. An `amount` or `basePrice` that is not an integer number of kopecks (rubles
  as a float, a string, a boolean) is never converted: a diff built on a guessed amount is
  worse than none. Its line is quarantined.
- One line that cannot be read does not fail the others: it is quarantined with its reason —
  each field that could not be read and what was found instead — and the rest are read.
- A line with the lead and type of an earlier line is quarantined too: the diff matches on lead
  and type, and would silently keep only one of the two.
- An answer without a `result` list has no lines to read: it is quarantined whole.
- Tolerant elsewhere: a row type Avito added passes through as text, unknown fields are kept.
  Every surprise is listed as contract drift, for the caller to note.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadbridge.domain.contract_drift import DriftKind, drift_named, masked_sample
from leadbridge.domain.settlement_quarantine import WHOLE_ANSWER, QuarantinedLine, line_key

COMMISSION = "commission"
STORNO = "storno"
KNOWN_TYPES = frozenset({COMMISSION, STORNO})
KNOWN_FIELDS = frozenset({"lineId", "leadId", "type", "amount", "basePrice", "occurredAt"})
# The widths of the columns these are kept in (`settlement_exceptions`): longer is not an id.
LINE_ID_LENGTH, LEAD_ID_LENGTH, TYPE_LENGTH = 160, 64, 32
KOPECKS_LIMIT = 2**63  # a BIGINT column: an amount beyond it cannot be stored, let alone paid
SHOWN_LIMIT = 80
MISSING = "поля нет"
# Ids, dates and numbers are shown as they are; a run of 7 digits may be a phone number.
_PLAIN = re.compile(r"[A-Za-z0-9_.:+\-]{1,64}")
_DIGIT_RUN = re.compile(r"\d{7}")

Drift = tuple[DriftKind, str, object]  # kind, name (no personal data), raw sample


@dataclass(frozen=True, slots=True)
class SettlementRow:
    line_id: str
    lead_id: str
    type: str  # COMMISSION, STORNO, or a type Avito added later
    amount_kopecks: int  # storno lines are negative
    base_price_kopecks: int | None
    occurred_at: datetime
    unknown_fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """What the diff matches on: Avito's lineId is opaque, lead and type are not."""
        return f"{self.lead_id}:{self.type}"


@dataclass(frozen=True, slots=True)
class SettlementReading:
    rows: list[SettlementRow]
    quarantined: list[QuarantinedLine]
    drifts: list[Drift]  # one per (kind, name), with the first line that showed it
    answer_read: bool  # False: the answer had no list of lines, nothing can be compared


def answer_lines(body: object) -> list[object] | None:
    """The lines of Avito's answer as received, in order; None when it has no `result` list."""
    if isinstance(body, Mapping) and isinstance(body.get("result"), list):
        return list(body["result"])
    return None


def read_settlement(body: object) -> SettlementReading:
    """Every line of the answer, read or quarantined; never raises."""
    lines = answer_lines(body)
    if lines is None:
        reason = f"ответ: нужен объект со списком result, найдено {shown(body)}"
        whole = QuarantinedLine(WHOLE_ANSWER, "", "", reason, position=0)
        drift = (DriftKind.UNKNOWN_ANSWER, "settlement answer", body)
        return SettlementReading([], [whole], [drift], answer_read=False)
    rows: list[SettlementRow] = []
    quarantined: list[QuarantinedLine] = []
    drifts: dict[tuple[DriftKind, str], object] = {}
    first_of_key: dict[str, int] = {}
    for position, raw in enumerate(lines):
        line = _Line(raw)
        row = line.row()
        if row is not None and row.key in first_of_key:
            repeated = f"повторяют строку №{first_of_key[row.key] + 1}"
            line.problem("leadId, type", repeated, drift="settlement line repeated")
            row = None
        for drift in line.drifts():
            drifts.setdefault(drift[:2], raw)
        if row is None:
            quarantined.append(line.quarantined(position))
        else:
            first_of_key[row.key] = position
            rows.append(row)
    found = [(kind, name, sample) for (kind, name), sample in drifts.items()]
    return SettlementReading(rows, quarantined, found, answer_read=True)


def shown(value: object) -> str:
    """What was found, as a reason shows it: ids, dates and numbers as they are; anything
    else masked like a contract-drift sample, since it may be personal."""
    if isinstance(value, str) and _PLAIN.fullmatch(value) and not _DIGIT_RUN.search(value):
        return json.dumps(value)
    return masked_sample(value, limit=SHOWN_LIMIT)


class _Line:
    """One raw line, read field by field: every field that cannot be read is a problem."""

    def __init__(self, raw: object) -> None:
        self._raw = raw
        self._fields: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        self._problems: list[tuple[str, str, str]] = []  # field, what is wrong, drift name
        self._type: str | None = None

    def row(self) -> SettlementRow | None:
        if not isinstance(self._raw, Mapping):
            self.problem(
                "строка", f"нужен объект, найдено {shown(self._raw)}", drift="settlement line"
            )
            return None
        line_id = self._text("lineId", LINE_ID_LENGTH)
        lead_id = self._text("leadId", LEAD_ID_LENGTH)
        self._type = kind = self._text("type", TYPE_LENGTH)
        amount = self._kopecks("amount", required=True)
        base_price = self._kopecks("basePrice", required=False)
        moment = self._moment("occurredAt")
        if line_id is None or lead_id is None or kind is None or amount is None or moment is None:
            return None
        if self._problems:  # basePrice, the one optional field, was there and unreadable
            return None
        return SettlementRow(line_id, lead_id, kind, amount, base_price, moment, self._unknown())

    def problem(self, name: str, what: str, *, drift: str | None = None) -> None:
        """`name` is the field as a person reads it; `drift` names the drift, by default
        after the field (`settlement.amount`)."""
        self._problems.append((name, what, drift or f"settlement.{name}"))

    def quarantined(self, position: int) -> QuarantinedLine:
        reason = "; ".join(f"{name}: {what}" for name, what, _drift in self._problems)
        unknown = [drift_named(str(key)) for key in self._unknown()]
        if unknown and any(what == MISSING for _name, what, _drift in self._problems):
            reason += f" (в строке есть неизвестные поля: {', '.join(unknown)})"
        return QuarantinedLine(
            key=line_key(_best_text(self._fields.get("lineId"), LINE_ID_LENGTH), position),
            avito_lead_id=_best_text(self._fields.get("leadId"), LEAD_ID_LENGTH),
            kind=_best_text(self._fields.get("type"), TYPE_LENGTH),
            reason=reason,
            position=position,
        )

    def drifts(self) -> list[Drift]:
        found: list[Drift] = [
            (DriftKind.QUARANTINED, drift, self._raw) for _name, _what, drift in self._problems
        ]
        found += [
            (DriftKind.UNKNOWN_FIELD, f"settlement.{drift_named(str(key))}", self._raw)
            for key in self._unknown()
        ]
        if self._type is not None and self._type not in KNOWN_TYPES:
            name = f"settlement.type={drift_named(self._type)}"
            found.append((DriftKind.UNKNOWN_ENUM_VALUE, name, self._raw))
        return found

    def _unknown(self) -> dict[str, Any]:
        return {key: value for key, value in self._fields.items() if key not in KNOWN_FIELDS}

    def _text(self, key: str, longest: int) -> str | None:
        value = self._fields.get(key)
        text = _as_text(value)
        if key not in self._fields:
            self.problem(key, MISSING)
        elif text is None:
            self.problem(key, f"нужен текст, найдено {shown(value)}")
        elif not text or len(text) > longest:
            self.problem(key, f"нужно от 1 до {longest} символов, найдено {shown(value)}")
        else:
            return text
        return None

    def _kopecks(self, key: str, *, required: bool) -> int | None:
        value = self._fields.get(key)
        if value is None:  # a null basePrice says "no base price"; a null amount says nothing
            if required:
                self.problem(key, MISSING if key not in self._fields else "пусто")
            return None
        # bool is an int in Python, and a float may hide a ruble amount: neither is kopecks.
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"нужны целые копейки, найдено {shown(value)}")
        elif abs(value) >= KOPECKS_LIMIT:
            self.problem(key, f"сумма вне допустимого, найдено {shown(value)}")
        else:
            return value
        return None

    def _moment(self, key: str) -> datetime | None:
        value = self._fields.get(key)
        if key not in self._fields:
            self.problem(key, MISSING)
            return None
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if not isinstance(value, str) or moment is None:
            self.problem(key, f"нужны дата и время ISO 8601, найдено {shown(value)}")
        elif moment.tzinfo is None:
            self.problem(key, f"нет смещения от UTC, найдено {shown(value)}")
        else:
            return moment
        return None


def _as_text(value: object) -> str | None:
    """A string, or an integer as its decimal (ids may come as either JSON type); else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        return str(value)
    except ValueError:  # an integer of thousands of digits, which Python refuses to print
        return None


def _best_text(value: object, longest: int) -> str:
    """A field as far as it can be shown beside a quarantined line: "" when it is not text."""
    return (_as_text(value) or "")[:longest]
