"""`leadbridge stats`: conversion statistics and speed of first contact, as readable tables or
JSON.

`load_statistics` and `load_first_contact` are what the dashboard calls: typed results, read in
the database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from leadbridge.config import Settings
from leadbridge.domain import first_contact as speed
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.periods import Week
from leadbridge.domain.routing import Routing
from leadbridge.domain.spans import SpanUnits, two_units
from leadbridge.domain.statistics import GroupConversion, Statistics
from leadbridge.domain.working_hours import due_after
from leadbridge.store import first_contact, statistics
from leadbridge.store.database import Database
from leadbridge.store.first_contact import ContactRow
from leadbridge.store.migrate import upgrade
from leadbridge.sync.routing import Router, routing_of

_UNITS = SpanUnits("d", "h", "m", "s")


async def load_statistics(db: Database, funnel: Funnel, week: str | None = None) -> Statistics:
    async with db.transaction() as session:
        return await statistics.gather(session, funnel, week)


async def load_first_contact(
    db: Database, settings: Settings, start: datetime | None, end: datetime | None
) -> list[speed.Contact]:
    """The deals whose requests were created in [start, end) (None: unbounded)."""
    async with db.transaction() as session:
        rows = await first_contact.contacts(session, settings.funnel, start, end)
    return contacts_of(rows, routing_of(settings))


def contacts_of(rows: Sequence[ContactRow], routing: Routing | None) -> list[speed.Contact]:
    """Each deal's team is the one covering its city now. Its deadline is its first-call
    task's due time; a deal older than those tasks gets the time the task would have had
    (`sync/deal_tasks.py`: the team's SLA in its working hours, 15 minutes around the clock
    without `[routing]`)."""
    router = Router(routing, ())
    contacts = []
    for row in rows:
        team = routing.team_for(row.city) if routing else None
        due = row.task_due_at
        if due is None:
            schedule = router.schedule_for(row.city)
            due = due_after(row.created_at, schedule.sla, schedule.hours)
        contacts.append(
            speed.Contact(
                team.name if team else None,
                row.manager,
                row.created_at,
                due,
                row.contacted_at,
                row.closed_at,
            )
        )
    return contacts


async def stats_report(settings: Settings, *, week: str | None, as_json: bool) -> str:
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        result = await load_statistics(db, settings.funnel, week)
        # The same week name, as a Moscow week: the one settlement and the dashboard use.
        moscow = Week.parse(week) if week else None
        start, end = (moscow.starts_at, moscow.ends_at) if moscow else (None, None)
        weeks = speed.per_week(await load_first_contact(db, settings, start, end), _now())
    finally:
        await db.dispose()
    return to_json(result, weeks) if as_json else to_tables(result, weeks)


def _now() -> datetime:
    return datetime.now(UTC)


def to_json(result: Statistics, first_contact_weeks: Sequence[speed.WeekSpeed] = ()) -> str:
    def plain(value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    body = dataclasses.asdict(result)
    body["cities"] = [_group_json(g) for g in result.cities]
    body["models"] = [_group_json(g) for g in result.models]
    body["weeks"] = [_group_json(g) for g in result.weeks]
    body["prices"] |= {
        "paid_to_asked": result.prices.paid_to_asked,
        "mean_difference_kopecks": result.prices.mean_difference_kopecks,
    }
    body["first_contact"] = [_speed_json(row) for row in first_contact_weeks]
    return json.dumps(body, ensure_ascii=False, default=plain, indent=2)


def _group_json(group: GroupConversion) -> dict[str, Any]:
    return dataclasses.asdict(group) | {"rate": group.rate}


def _speed_json(row: speed.WeekSpeed) -> dict[str, Any]:
    s = row.speed

    def seconds(wait: timedelta | None) -> float | None:
        return None if wait is None else wait.total_seconds()

    return {
        "week": row.week.name,
        "deals": s.deals,
        "contacted": s.contacted,
        "waiting": s.waiting,
        "breaches": s.breaches,
        "p50_s": seconds(s.p50),
        "p90_s": seconds(s.p90),
    }


def to_tables(result: Statistics, first_contact_weeks: Sequence[speed.WeekSpeed] = ()) -> str:
    scope = f"requests created in {result.week}" if result.week else "all requests"
    prices = result.prices
    sections = [
        f"Conversion statistics, {scope}: {result.leads}",
        _table(
            "Stage reached",
            ("stage", "reached", "% of all", "% of previous"),
            [(s.name, s.reached, s.rate, s.from_previous) for s in result.stages],
        ),
        _groups("City", result.cities),
        _groups("Device model", result.models),
        _groups("Week", result.weeks),
        _table(
            "Time in stage",
            ("stage", "exits", "mean hours"),
            [(t.name, t.exits, t.mean_hours) for t in result.stage_times],
        ),
        _table(
            "Buyout price against asking price",
            ("deals", "paid ₽", "asked ₽", "paid/asked %", "mean diff ₽", "below", "above"),
            [
                (
                    prices.deals,
                    _roubles(prices.paid_kopecks),
                    _roubles(prices.asked_kopecks),
                    prices.paid_to_asked,
                    _roubles(prices.mean_difference_kopecks),
                    prices.below_asking,
                    prices.above_asking,
                )
            ],
        ),
        _table(
            "Loss reasons",
            ("reason", "leads", "%"),
            [(r.reason, r.leads, r.share) for r in result.loss_reasons],
        ),
        _table(
            "First contact (Moscow weeks of the request; breaches of the SLA)",
            ("week", "deals", "contacted", "p50", "p90", "breaches", "waiting"),
            [
                (
                    w.week.name,
                    w.speed.deals,
                    w.speed.contacted,
                    _duration(w.speed.p50),
                    _duration(w.speed.p90),
                    w.speed.breaches,
                    w.speed.waiting,
                )
                for w in first_contact_weeks
            ],
        ),
    ]
    return "\n\n".join(sections)


def _duration(wait: timedelta | None) -> str:
    """`1h20m`, `4m`, `35s`, `2d3h`: one word, so the columns split on spaces."""
    return "-" if wait is None else two_units(int(wait.total_seconds()), _UNITS)


def _groups(title: str, groups: Sequence[GroupConversion]) -> str:
    return _table(
        title,
        (title.lower(), "requests", "bought out", "lost", "conversion %"),
        [(g.key, g.leads, g.bought_out, g.lost, g.rate) for g in groups],
    )


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(header), *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title]
    for row in cells:
        # The first column is text, left-aligned; the rest are numbers, right-aligned.
        first, *rest = row
        lines.append(
            "  ".join(
                [
                    first.ljust(widths[0]),
                    *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)),
                ]
            )
        )
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


def _roubles(kopecks: int) -> str:
    sign = "-" if kopecks < 0 else ""
    whole, part = divmod(abs(kopecks), 100)
    return f"{sign}{whole}.{part:02d}"
