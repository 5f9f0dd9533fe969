"""`leadbridge reconcile`: one reconciliation run and its summary, as lines to print."""

from __future__ import annotations

import asyncio

from leadbridge.config import Settings
from leadbridge.domain.reconciliation import DriftKind
from leadbridge.store import reconciliation as store
from leadbridge.store.migrate import upgrade
from leadbridge.sync.bridge import Bridge
from leadbridge.sync.crm_layout import load_layout
from leadbridge.sync.reconciler import IN_FLIGHT, Reconciler, RunResult
from leadbridge.sync.stage_changes import StageChanges

SHOWN_FOR_A_PERSON = 50


async def reconcile(settings: Settings, *, fix: bool) -> list[str]:
    bridge = Bridge.from_settings(settings)
    try:
        await asyncio.to_thread(upgrade, settings.database_url)
        await bridge.amo.bootstrap()
        async with bridge.db.transaction() as session:
            layout = await load_layout(session, settings.funnel)
        changes = StageChanges(
            db=bridge.db,
            api=bridge.amo,
            funnel=settings.funnel,
            layout=layout,
            wakeups=bridge.wakeups,
        )
        reconciler = Reconciler(
            db=bridge.db,
            api=bridge.amo,
            avito=bridge.avito,
            funnel=settings.funnel,
            layout=layout,
            changes=changes,
            settings=settings.reconcile,
            wakeups=bridge.wakeups,
        )
        return await _summary(bridge, await reconciler.run(fix=fix))
    finally:
        await bridge.stop()


async def _summary(bridge: Bridge, result: RunResult) -> list[str]:
    async with bridge.db.transaction() as session:
        counts = await store.counts_by_kind(session, result.run_id)
        people = await store.items_needing_a_person(session, result.run_id, SHOWN_FOR_A_PERSON)
    lines = [
        f"reconciliation run {result.run_id}: {result.leads_checked} leads, "
        f"{result.deals_listed} deals listed in {result.crm_requests} amoCRM requests, "
        f"{result.avito_reads} Avito status reads"
    ]
    for kind in DriftKind:
        by_action = {
            action: n
            for (k, action), n in sorted(counts.items())
            if k == kind and action != IN_FLIGHT
        }
        detail = ", ".join(f"{action} {n}" for action, n in by_action.items())
        lines.append(
            f"{kind.value:<18}{sum(by_action.values()):>8}" + (f"  ({detail})" if detail else "")
        )
    # Not drift: statuses still on their way (queued, being sent, or of a lead just changed).
    if on_the_way := sum(n for (_, action), n in counts.items() if action == IN_FLIGHT):
        lines.append(f"{'in flight':<18}{on_the_way:>8}  (on the way to Avito, not drift)")
    if people:
        lines.append("needing a person:")
        lines.extend(f"  {i.avito_lead_id}\t{i.kind}\t{i.detail}" for i in people)
    return lines
