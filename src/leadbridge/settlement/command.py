"""The work behind `leadbridge settle`: wire settings to the settlement and report on it."""

from __future__ import annotations

import asyncio
import sys
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

from leadbridge.amocrm.connect import connect
from leadbridge.avito.client import AvitoClient
from leadbridge.config import Settings
from leadbridge.domain.commission import RuleError
from leadbridge.domain.periods import Week, WeekError
from leadbridge.domain.settlement_quarantine import QUARANTINED
from leadbridge.settlement.amocrm_prices import AmoPrices
from leadbridge.settlement.export import rubles
from leadbridge.settlement.lines import LineMaker, PriceSource
from leadbridge.settlement.service import (
    SettlementRefused,
    SettleRequest,
    WeekResult,
    settle_week,
)
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade

# Avito's lines that cannot be read are no refusal: they are quarantined and reported.
REFUSALS = (WeekError, RuleError, SettlementRefused)


def request_for(week: str | None, *, export: Path | None, freeze: bool) -> SettleRequest:
    now = datetime.now(UTC)
    chosen = Week.parse(week) if week else Week.last_complete(now)
    return SettleRequest(chosen, now, freeze=freeze, export_dir=export)


async def run(
    settings: Settings, request: SettleRequest, *, diff: bool, prices: bool
) -> WeekResult:
    funnel = settings.funnel
    if diff and not settings.avito.client_id:
        raise SettlementRefused("avito.client_id is not set: configure Avito, or use --no-diff")
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(db.dispose)
        source: PriceSource | None = None
        if prices and settings.amocrm.base_url:
            api = await stack.enter_async_context(connect(settings.amocrm, db))
            await api.bootstrap()
            # Held from here on: on SQLite a token read inside the settlement's transaction
            # would wait for that very transaction.
            await api.hold_token()
            source = AmoPrices(api)
        avito = AvitoClient(settings.avito) if diff else None
        if avito is not None:
            stack.push_async_callback(avito.aclose)
        maker = LineMaker(
            settings.settlement.rule_book(),
            funnel.commission_status,
            funnel.statuses.returned,
            source,
        )
        return await settle_week(db, maker, request, avito, _progress)
    raise AssertionError("unreachable")  # pragma: no cover


def _progress(lines: int) -> None:
    print(f"… {lines} lines", file=sys.stderr, flush=True)


def report(result: WeekResult) -> list[str]:
    tally = result.tally
    state = f"frozen {result.frozen_at:%Y-%m-%d %H:%M} UTC" if result.frozen_at else "open"
    kinds = ", ".join(f"{kind} {_money(total)}" for kind, total in sorted(tally.by_kind.items()))
    lines = [
        f"{result.week} ({state}): {tally.lines} lines, total {_money(tally.total_kopecks)}"
        + (f" ({kinds})" if kinds else "")
    ]
    if result.diff is not None:
        found, unreadable = result.diff.discrepancies, result.quarantined
        summary = (
            f"diff with Avito: {result.diff.matched} matched, {len(found) + len(unreadable)} not"
        )
        if unreadable:
            summary += f" ({len(unreadable)} of Avito's lines quarantined: unreadable)"
        lines.append(summary)
        lines += [
            f"  {item.outcome} {item.key}: ours {_money(item.our_kopecks)}, "
            f"Avito {_money(item.avito_kopecks)}"
            for item in found
        ]
        lines += [f"  {QUARANTINED} {line.key}: {line.reason}" for line in unreadable]
    lines += [f"wrote {path}" for path in result.files]
    return lines


def _money(kopecks: int | None) -> str:
    return "—" if kopecks is None else f"{rubles(kopecks):.2f} ₽"
