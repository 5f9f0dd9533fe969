"""The demo's settlement check: every week the demo's statuses fell in, diffed against Avito."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leadbridge.amocrm.connect import connect
from leadbridge.avito.client import AvitoClient
from leadbridge.config import Settings
from leadbridge.domain.periods import Week
from leadbridge.settlement.amocrm_prices import AmoPrices
from leadbridge.settlement.lines import LineMaker
from leadbridge.settlement.service import SettleRequest, settle_week
from leadbridge.store import settlement as store
from leadbridge.store.database import Database

KEY = "settlement_diff"
MATCHED_KEY = "settlement_matched"


async def with_settlement(result: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """`result` plus the settlement diff of the demo's weeks (and how many lines matched);
    not ok unless that diff is empty."""
    diff, matched = await settlement_diff(settings)
    ok = bool(result.get("ok")) and not diff
    return {**result, KEY: diff, MATCHED_KEY: matched, "ok": ok}


async def settlement_diff(settings: Settings) -> tuple[list[dict[str, Any]], int]:
    funnel = settings.funnel
    db = Database(settings.database_url)
    api = connect(settings.amocrm, db)
    avito = AvitoClient(settings.avito)
    try:
        async with db.transaction() as session:
            span = await store.money_span(
                session, bought_out=funnel.commission_status, returned=funnel.statuses.returned
            )
        if span is None:
            return [], 0
        await api.hold_token()  # before the settlement's transaction
        maker = LineMaker(
            settings.settlement.rule_book(),
            funnel.commission_status,
            funnel.statuses.returned,
            AmoPrices(api),
        )
        found: list[dict[str, Any]] = []
        matched = 0
        week, last = Week.of(span[0]), Week.of(span[1])
        while week <= last:
            result = await settle_week(db, maker, SettleRequest(week, datetime.now(UTC)), avito)
            found += result.diff_json()
            matched += result.diff.matched if result.diff else 0
            week = week.next()
        return found, matched
    finally:
        await avito.aclose()
        await api.aclose()
        await db.dispose()
