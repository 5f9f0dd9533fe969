"""Noting Avito contract drift on both databases: every sighting counted, the first one of each
(kind, name) logged, the sample stored masked, and a database failure never the caller's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from structlog.testing import capture_logs

from leadbridge.domain.contract_drift import DriftKind
from leadbridge.logs import mask_sensitive
from leadbridge.sandbox.avito.leads import LeadFactory
from leadbridge.store import contract_drift
from leadbridge.store.database import Database
from leadbridge.store.drift_notes import note_drift, note_drifts
from leadbridge.store.tables import Lead
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.wakeups import LocalWakeups

pytestmark = pytest.mark.anyio
PAYLOAD = {"lead": {"sellerPhone2": "+79161234567", "sellerName": "Иван Петров", "price": 35000}}


def _counted(kind: DriftKind) -> float:
    value = REGISTRY.get_sample_value("leadbridge_avito_contract_drift_total", {"kind": kind})
    return value or 0.0


async def test_every_sighting_is_counted_and_only_the_first_is_logged(db: Database) -> None:
    before = _counted(DriftKind.UNKNOWN_FIELD)
    with capture_logs() as logs:
        for _ in range(3):
            await note_drift(db, DriftKind.UNKNOWN_FIELD, "lead.sellerPhone2", PAYLOAD)

    assert _counted(DriftKind.UNKNOWN_FIELD) == before + 3
    assert [(line["event"], line["log_level"]) for line in logs] == [
        ("avito.contract_drift", "warning")
    ]
    assert logs[0]["kind"] == "unknown_field"
    assert logs[0]["drift"] == "lead.sellerPhone2"
    assert "+79161234567" not in repr(logs)
    # The log's masking of personal data leaves the drift's name readable.
    assert mask_sensitive(None, "warning", dict(logs[0]))["drift"] == "lead.sellerPhone2"

    async with db.transaction() as session:
        (row,) = await contract_drift.listing(session)
    assert row.seen == 3
    assert "+79161234567" not in row.sample
    assert "Иван" not in row.sample
    assert '"price": 35000' in row.sample


async def test_several_sightings_are_noted_together(db: Database) -> None:
    with capture_logs() as logs:
        await note_drifts(
            db,
            [
                (DriftKind.UNKNOWN_FIELD, "lead.color2", {"color2": "red"}),
                (DriftKind.UNKNOWN_ENUM_VALUE, "offerType=trade_in", "trade_in"),
                (DriftKind.UNKNOWN_FIELD, "lead.color2", {"color2": "blue"}),
            ],
        )
        await note_drifts(db, [])
    assert sorted(line["drift"] for line in logs) == ["lead.color2", "offerType=trade_in"]
    async with db.transaction() as session:
        rows = {row.name: row for row in await contract_drift.listing(session)}
    assert rows["lead.color2"].seen == 2
    assert rows["lead.color2"].sample == '{"color2": "r••"}'  # the first sample is kept
    assert rows["offerType=trade_in"].kind == "unknown_enum_value"


async def test_a_database_failure_is_logged_and_counted_not_raised(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path / 'missing' / 'no.db'}")
    before = _counted(DriftKind.ENDPOINT_GONE)
    try:
        with capture_logs() as logs:
            await note_drift(broken, DriftKind.ENDPOINT_GONE, "GET /core/v1/buyout", {"code": 404})
    finally:
        await broken.dispose()
    assert _counted(DriftKind.ENDPOINT_GONE) == before + 1
    (line,) = logs
    assert line["event"] == "avito.contract_drift_not_recorded"
    assert line["error"] == "OperationalError"
    assert line["drifts"] == ["endpoint_gone: GET /core/v1/buyout"]


async def test_an_enum_value_the_mapping_does_not_list_is_kept_and_noted(db: Database) -> None:
    """`offerType` has aliases in the default mapping, so they list its values: a new one goes
    through as sent, and shows as drift named as the mapping file is keyed; a value that is no
    plain token (it may be personal) is masked in the name."""
    factory = LeadFactory(seed=41)
    renamed, personal = factory.make(), factory.make()
    renamed["offerType"] = "exchange"
    personal["offerType"] = "+7 916 123-45-67"
    for lead in (factory.make(), renamed, personal):
        await accept_lead(db, lead, channel="webhook", wakeups=LocalWakeups())

    async with db.transaction() as session:
        found = {(row.kind, row.name) for row in await contract_drift.listing(session)}
        stored = {lead.avito_lead_id: lead.offer_type for lead in await _leads(session)}
    enum_drift = {name for kind, name in found if kind == DriftKind.UNKNOWN_ENUM_VALUE}
    assert "lead.offer_type=exchange" in enum_drift
    assert len(enum_drift) == 2
    assert not any("916" in name for name in enum_drift)
    assert stored[renamed["id"]] == "exchange"


async def _leads(session: AsyncSession) -> Sequence[Lead]:
    return (await session.scalars(select(Lead))).all()
