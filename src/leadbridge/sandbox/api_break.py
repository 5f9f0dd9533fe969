"""`demo --api-break`: Avito ships a breaking change midway, and an operator adapts.

Halfway through the requests the Avito simulator turns every breaking switch on
(docs/avito-partner-api.md §12.3): the price and the phone move, ids become numbers, a status is
renamed, status apply moves to `/v2/` and closing statuses need a reason code. The bridge keeps
acknowledging and quarantines what it cannot read; statuses wait. Once the requests have all
arrived, the operator puts the mapping written for the change in force (`MAPPING_AFTER_BREAK`,
also `examples/avito-mapping-after-break.toml`) and replays what was held back — as a person
would with `LEADBRIDGE_AVITO__MAPPING_FILE`, a restart and `leadbridge avito quarantine replay`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadbridge.avito.mapping import LeadMapping, load_mapping
from leadbridge.avito.mapping_in_force import install_mapping
from leadbridge.config import AvitoSettings
from leadbridge.domain.funnel import Funnel
from leadbridge.sandbox.avito import AvitoSandbox
from leadbridge.sandbox.crm_view import crm_view
from leadbridge.sandbox.demo_progress import Progress
from leadbridge.store import contract_drift
from leadbridge.store.database import Database
from leadbridge.sync.avito_replay import ReplayReport, replay
from leadbridge.sync.bridge import Bridge
from leadbridge.sync.wakeups import Wakeups

MAPPING_AFTER_BREAK = Path(__file__).with_name("avito_mapping_after_break.toml")


def break_api(avito: AvitoSandbox) -> None:
    """Every breaking switch on, from the next request and lead."""
    avito.set_evolution(breaking=True)


@dataclass
class Adaptation:
    """What the operator found and did: events in quarantine when the mapping was fixed, and
    the replay's report."""

    quarantined: int = 0
    report: ReplayReport | None = None

    def to_json(self, lost: int) -> dict[str, Any]:
        replayed = self.report.replayed if self.report else 0
        return {"quarantined": self.quarantined, "replayed": replayed, "lost": lost}


async def adapt(db: Database, wakeups: Wakeups, avito: AvitoSettings) -> Adaptation:
    """Put the mapping for the change in force and replay what was held back."""
    async with db.transaction() as session:
        held = await contract_drift.quarantined_avito(session)
    install_mapping(avito.model_copy(update={"mapping_file": MAPPING_AFTER_BREAK}))
    report = await replay(db, wakeups, actor="demo")
    return Adaptation(quarantined=held, report=report)


def after_break_mapping() -> LeadMapping:
    return load_mapping(MAPPING_AFTER_BREAK)


def lost_requests(
    avito_state: Mapping[str, Any], amocrm_state: Mapping[str, Any], funnel: Funnel
) -> int:
    """Requests Avito sent that never became a deal: read from the simulators, not from us."""
    deals = crm_view(amocrm_state, funnel).deals_by_avito_id
    return sum(1 for lead in avito_state.get("leads", []) if str(lead["id"]) not in deals)


async def adapt_once_arrived(bridge: Bridge, operator: Adaptation, progress: Progress) -> None:
    """The operator's part of --api-break: once every request has arrived, the mapping for the
    change and a replay; replayed again while events keep landing in quarantine (a delivery
    read under the old mapping a moment before it changed)."""
    async with bridge.db.transaction() as session:
        held = await contract_drift.quarantined_avito(session)
    if operator.report is not None and held == 0:
        return
    if operator.report is None and (held == 0 or held != operator.quarantined):
        operator.quarantined = held  # deliveries still landing: a person waits for them too
        return
    if operator.report is None:
        progress.note(f"в карантине {held} событий Авито: оператор меняет маппинг и повторяет")
        adapted = await adapt(bridge.db, bridge.wakeups, bridge.settings.avito)
        operator.quarantined, operator.report = adapted.quarantined, adapted.report
    else:
        again = await replay(bridge.db, bridge.wakeups, actor="demo")
        operator.report = dataclasses.replace(
            operator.report,
            replayed=operator.report.replayed + again.replayed,
            leads_created=operator.report.leads_created + again.leads_created,
        )
