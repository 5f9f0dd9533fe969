"""Settlement lines and the diff against Avito's rows. Pure: no I/O, integer kopecks only.

A lead acknowledged by Avito as `bought_out` gives one commission line in the week of that
status; a `returned` reversing it gives a storno line — minus the same commission, priced with
the rule in force at the buyout — in the week of the return. A frozen week never changes:
what changed since (a price, a late status) becomes an adjustment line in the next open week.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from leadbridge.domain.commission import RuleBook

COMMISSION = "commission"
STORNO = "storno"
ADJUSTMENT = "adjustment"
MATCHED = "matched"
AMOUNT_MISMATCH = "amount_mismatch"
ONLY_OURS = "only_ours"
ONLY_AVITO = "only_avito"


@dataclass(frozen=True, slots=True)
class SettlementEvent:
    """A status Avito acknowledged that carries money, as the store reads it."""

    avito_lead_id: str
    kind: str  # COMMISSION or STORNO
    occurred_at: datetime
    category: str
    price_kopecks: int  # the final buyout price
    bought_out_at: datetime  # picks the rule, for a storno too
    amo_lead_id: int | None = None  # the deal, to read its current price


@dataclass(frozen=True, slots=True)
class Line:
    key: str  # "<avito lead>:<kind>", the same as Avito's lineId
    kind: str
    avito_lead_id: str
    occurred_at: datetime
    category: str
    base_price_kopecks: int
    amount_kopecks: int
    rule: str
    origin_key: str = ""  # an adjustment's corrected line; the line itself otherwise

    @property
    def origin(self) -> str:
        return self.origin_key or self.key


def line_of(event: SettlementEvent, rules: RuleBook) -> Line:
    rule = rules.at(event.bought_out_at)
    commission = rule.commission(event.price_kopecks, event.category)
    amount = commission if event.kind == COMMISSION else -commission
    return Line(
        key=f"{event.avito_lead_id}:{event.kind}",
        kind=event.kind,
        avito_lead_id=event.avito_lead_id,
        occurred_at=event.occurred_at,
        category=event.category,
        base_price_kopecks=event.price_kopecks,
        amount_kopecks=amount,
        rule=rule.label,
    )


def adjustments(
    expected: Mapping[str, Line], booked: Mapping[str, int], week_name: str, at: datetime
) -> Iterator[Line]:
    """What frozen weeks should hold (`expected`, by line key) minus what they hold (`booked`,
    the sum of each line's frozen amounts with its earlier adjustments), as adjustment lines.
    `at` dates an adjustment whose line no longer exists at all."""
    for key in sorted(expected.keys() | booked.keys()):
        line = expected.get(key)
        delta = (line.amount_kopecks if line else 0) - booked.get(key, 0)
        if delta == 0:
            continue
        lead_id, _, kind = key.rpartition(":")
        yield Line(
            key=f"{key}:{ADJUSTMENT}@{week_name}",
            kind=ADJUSTMENT,
            avito_lead_id=line.avito_lead_id if line else lead_id,
            occurred_at=line.occurred_at if line else at,
            category=line.category if line else "",
            base_price_kopecks=line.base_price_kopecks if line else 0,
            amount_kopecks=delta,
            rule=f"correction of frozen {kind}" if line is None else f"correction: {line.rule}",
            origin_key=key,
        )


@dataclass(frozen=True, slots=True)
class AvitoLine:
    key: str  # "<leadId>:<type>": Avito's lineId is opaque, so we match on lead and type
    avito_lead_id: str
    kind: str
    amount_kopecks: int
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Discrepancy:
    outcome: str  # AMOUNT_MISMATCH, ONLY_OURS or ONLY_AVITO
    key: str
    avito_lead_id: str
    kind: str
    our_kopecks: int | None
    avito_kopecks: int | None


@dataclass
class Diff:
    matched: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.discrepancies


class Differ:
    """Line by line, as our lines stream past: only Avito's rows — one answer's worth — are held
    in memory. Adjustments are ours alone (Avito re-reads past weeks), so they are left out."""

    def __init__(self, avito: Iterable[AvitoLine]) -> None:
        self._theirs = {line.key: line for line in avito}
        self._result = Diff()

    def add(self, line: Line) -> None:
        if line.kind == ADJUSTMENT:
            return
        other = self._theirs.pop(line.key, None)
        if other is None:
            self._result.discrepancies.append(_missing(ONLY_OURS, line.key, line, None))
        elif other.amount_kopecks != line.amount_kopecks:
            self._result.discrepancies.append(_missing(AMOUNT_MISMATCH, line.key, line, other))
        else:
            self._result.matched += 1

    def finish(self) -> Diff:
        for key, other in sorted(self._theirs.items()):
            self._result.discrepancies.append(_missing(ONLY_AVITO, key, None, other))
        self._theirs = {}
        return self._result


def diff_lines(ours: Iterable[Line], avito: Iterable[AvitoLine]) -> Diff:
    differ = Differ(avito)
    for line in ours:
        differ.add(line)
    return differ.finish()


def _missing(outcome: str, key: str, ours: Line | None, theirs: AvitoLine | None) -> Discrepancy:
    any_side = ours or theirs
    assert any_side is not None
    return Discrepancy(
        outcome=outcome,
        key=key,
        avito_lead_id=any_side.avito_lead_id,
        kind=any_side.kind,
        our_kopecks=ours.amount_kopecks if ours else None,
        avito_kopecks=theirs.amount_kopecks if theirs else None,
    )
