"""Noting Avito contract drift: what Avito sent or answered that our mapping does not know.

Each sighting is counted in `leadbridge_avito_contract_drift_total{kind}` and in the
`avito_contract_drift` table (with the first sample, masked), shown on the dashboard's
«Изменения API Авито» page. It is logged (`avito.contract_drift`) only the first time its
(kind, name) is seen: a field renamed in every payload is one line in the log, not thousands.

Noting drift is a side note to the caller's work and never fails it: a database error is logged
and the sighting still counted in the metric. Call it outside a transaction of your own: it
opens its own short one (on SQLite, that waits for the writer lock a transaction holds).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import structlog
from sqlalchemy.exc import SQLAlchemyError

from leadbridge.domain.contract_drift import DriftKind, masked_sample
from leadbridge.metrics import AVITO_CONTRACT_DRIFT
from leadbridge.store import contract_drift
from leadbridge.store.database import Database

log = structlog.get_logger(__name__)

Drift = tuple[DriftKind, str, object]  # kind, name (no personal data), raw sample


async def note_drift(db: Database, kind: DriftKind, name: str, sample: object) -> None:
    """Note one sighting of drift; `sample` is masked here, the caller passes it raw."""
    await note_drifts(db, [(kind, name, sample)])


async def note_drifts(db: Database, drifts: Iterable[Drift]) -> None:
    """Note several sightings (one payload's unknown fields, a batch's) in one transaction;
    sightings of the same drift are counted together, the first one's sample kept."""
    sightings: dict[tuple[DriftKind, str], tuple[str, int]] = {}
    for kind, name, sample in drifts:
        seen = sightings.get((kind, name))
        sightings[kind, name] = (seen[0], seen[1] + 1) if seen else (masked_sample(sample), 1)
    if not sightings:
        return
    # Sorted by key: two workers upserting the same rows take their locks in the same order,
    # so on PostgreSQL they wait for each other instead of deadlocking.
    counted = sorted(
        ((kind, name, sample, times) for (kind, name), (sample, times) in sightings.items()),
        key=lambda drift: (drift[0], drift[1]),
    )
    for kind, _name, _sample, times in counted:
        AVITO_CONTRACT_DRIFT.labels(kind=kind).inc(times)
    try:
        new = await _recorded(db, counted)
    except (SQLAlchemyError, OSError) as error:
        log.warning(
            "avito.contract_drift_not_recorded",
            error=type(error).__name__,
            drifts=[f"{kind}: {name}" for kind, name, _sample, _times in counted],
        )
        return
    for kind, name in new:
        # The key is not `name`: the log masks every key that says "name" as personal data.
        log.warning("avito.contract_drift", kind=str(kind), drift=name)


async def _recorded(
    db: Database, counted: list[tuple[DriftKind, str, str, int]]
) -> list[tuple[DriftKind, str]]:
    """Record each drift's sightings; the (kind, name) seen for the first time."""
    now = datetime.now(UTC)
    new: list[tuple[DriftKind, str]] = []
    async with db.transaction() as session:
        for kind, name, sample, times in counted:
            if await contract_drift.record(session, kind, name, sample, now, times=times):
                new.append((kind, name))
    return new
