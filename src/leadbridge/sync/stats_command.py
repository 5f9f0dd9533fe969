"""`leadbridge stats`: conversion statistics as readable tables or JSON.

`load_statistics` is what the dashboard calls: a typed `Statistics`, aggregated in the database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from leadbridge.config import Settings
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.statistics import GroupConversion, Statistics
from leadbridge.store import statistics
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade


async def load_statistics(db: Database, funnel: Funnel, week: str | None = None) -> Statistics:
    async with db.transaction() as session:
        return await statistics.gather(session, funnel, week)


async def stats_report(settings: Settings, *, week: str | None, as_json: bool) -> str:
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        result = await load_statistics(db, settings.funnel, week)
    finally:
        await db.dispose()
    return to_json(result) if as_json else to_tables(result)


def to_json(result: Statistics) -> str:
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
    return json.dumps(body, ensure_ascii=False, default=plain, indent=2)


def _group_json(group: GroupConversion) -> dict[str, Any]:
    return dataclasses.asdict(group) | {"rate": group.rate}


def to_tables(result: Statistics) -> str:
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
    ]
    return "\n\n".join(sections)


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
