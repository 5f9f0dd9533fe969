"""Reconciliation against both simulators over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from tests.integration.sync.reconcile_rig import Rig, rig

from leadbridge.config import DEFAULT_FUNNEL, ReconcileSettings
from leadbridge.domain.funnel import Funnel
from leadbridge.store import leads, status_log
from leadbridge.store import reconciliation as recon_store

pytestmark = pytest.mark.anyio
EVERY_LEAD_READ = ReconcileSettings(
    read_sample_ratio=1.0, missing_deal_grace_s=0.0, in_flight_grace_s=0.0
)


async def worked_lead(r: Rig, stage: str, **more: object) -> tuple[str, int]:
    """A lead whose deal reached `stage` and whose statuses all reached Avito."""
    avito_id, amo_id = await r.new_lead()
    assert amo_id is not None
    await r.move(amo_id, stage, **more)
    await r.sync(amo_id)
    return avito_id, amo_id


async def test_agreeing_sides_give_no_drift_even_when_every_lead_is_read(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        for stage in ("contacted", "price_agreed", "bought_out"):
            await worked_lead(r, stage)

        result = await r.reconciler(EVERY_LEAD_READ).run(fix=False)

        assert await r.findings(result) == {}
        assert result.leads_checked == 3
        assert result.deals_listed == 3
        assert result.crm_requests == 1  # one page of up to 250 deals
        assert result.avito_reads == 3


async def test_the_pipeline_is_listed_in_pages_of_250_and_foreign_deals_ignored(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        await worked_lead(r, "contacted")
        for _ in range(2):  # 260 deals a person made by hand, in our pipeline
            deals = [{"name": "вручную", "pipeline_id": r.layout.pipeline_id}] * 130
            await r.api.client.request("POST", "/api/v4/leads", json=deals)

        result = await r.reconciler().run(fix=True)

        assert (result.deals_listed, result.crm_requests, result.leads_checked) == (261, 2, 1)
        assert await r.findings(result) == {}
        assert result.avito_reads == 0


async def test_a_request_without_a_deal_is_missing_in_crm(database_url: str) -> None:
    async with rig(database_url) as r:
        await worked_lead(r, "contacted")
        _, deleted = await worked_lead(r, "contacted")
        del r.amo.leads[deleted]  # somebody deleted the deal in amoCRM
        await r.new_lead(with_deal=False)  # and this one never became a deal

        result = await r.reconciler().run(fix=True)

        assert await r.findings(result) == {("missing_in_crm", "person"): 2}


async def test_a_lost_stage_change_is_found_and_fixed_so_the_next_run_is_clean(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        avito_id, amo_id = await worked_lead(r, "contacted")
        await r.move(amo_id, "price_agreed")  # its webhook never arrives

        found = await r.reconciler().run(fix=False)
        assert await r.findings(found) == {("missing_in_avito", "repairable"): 1}
        assert found.avito_reads == 1  # records disagree: Avito is asked, though none sampled
        assert r.avito_status(avito_id) == "contacted"  # a run without --fix changes nothing

        fixed = await r.reconciler().run(fix=True)
        assert await r.findings(fixed) == {("missing_in_avito", "queued"): 1}
        await r.send_all()

        assert r.avito_status(avito_id) == "price_agreed"
        again = await r.reconciler(EVERY_LEAD_READ).run(fix=True)
        assert await r.findings(again) == {}


async def test_a_lead_that_changed_while_the_deals_were_listed_waits_for_the_next_run(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        _, amo_id = await worked_lead(r, "contacted")
        await r.move(amo_id, "price_agreed")
        async with r.db.transaction() as session:
            lead = await leads.by_amo_lead_id(session, amo_id)
            assert lead is not None
            lead.updated_at = datetime.now(UTC) + timedelta(minutes=5)  # as if changed mid-run

        result = await r.reconciler().run(fix=True)

        assert await r.findings(result) == {}
        assert result.leads_checked == 1


async def test_the_lost_change_is_logged_by_the_stage_change_flow(database_url: str) -> None:
    async with rig(database_url) as r:
        _, amo_id = await worked_lead(r, "contacted")
        await r.move(amo_id, "price_agreed")

        await r.reconciler().run(fix=True)

        async with r.db.transaction() as session:
            lead = await leads.by_amo_lead_id(session, amo_id)
            assert lead is not None
            logged = [change.stage_key for change in await status_log.for_lead(session, lead.id)]
        assert logged[-1] == "price_agreed"


async def test_a_status_avito_has_but_never_acknowledged_is_a_mismatch(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        avito_id, _ = await worked_lead(r, "taken")
        r.avito.apply_statuses(
            [
                {
                    "leadId": avito_id,
                    "status": "contacted",
                    "occurredAt": "2026-11-27T00:00:00Z",
                    "idempotencyKey": "elsewhere-1",
                }
            ]
        )

        quiet = await r.reconciler().run(fix=True)  # records agree: nothing read, nothing seen
        sampled = await r.reconciler(EVERY_LEAD_READ).run(fix=True)

        assert await r.findings(quiet) == {}
        assert await r.findings(sampled) == {("status_mismatch", "person"): 1}
        assert r.avito_status(avito_id) == "contacted"


async def test_a_deal_moved_back_is_a_mismatch_for_a_person(database_url: str) -> None:
    async with rig(database_url) as r:
        _, amo_id = await worked_lead(r, "price_agreed")
        await r.move(amo_id, "contacted")
        await r.sync(amo_id)  # logged as a backward move; Avito's chain cannot go back

        result = await r.reconciler().run(fix=True)

        assert await r.findings(result) == {("status_mismatch", "person"): 1}


async def test_a_price_changed_after_avito_got_it_is_an_amount_mismatch(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        _, amo_id = await worked_lead(r, "price_agreed", price=41_000)
        await r.edit(amo_id, price=39_500)

        result = await r.reconciler().run(fix=True)

        assert await r.findings(result) == {("amount_mismatch", "person"): 1}
        async with r.db.transaction() as session:
            (item,) = await recon_store.items_needing_a_person(session, result.run_id, 10)
        assert item.detail == "Avito got 41000.00 ₽ for price_agreed; the deal says 39500.00 ₽"


async def test_an_edited_mapping_queues_what_the_new_mapping_implies(database_url: str) -> None:
    async with rig(database_url) as r:
        avito_id, _ = await worked_lead(r, "taken")
        assert r.avito_status(avito_id) == "accepted"
        edited = edited_funnel(taken="contacted")

        result = await r.reconciler(funnel=edited).run(fix=True)
        await r.send_all()

        assert await r.findings(result) == {("missing_in_avito", "queued"): 1}
        assert r.avito_status(avito_id) == "contacted"
        again = await r.reconciler(funnel=edited).run(fix=True)
        assert await r.findings(again) == {}


def edited_funnel(**mapping: str) -> Funnel:
    with DEFAULT_FUNNEL.open("rb") as handle:
        raw = tomllib.load(handle)
    for stage in raw["stages"]:
        if stage["key"] in mapping:
            stage["avito_status"] = mapping[stage["key"]]
    return Funnel.from_mapping(raw)


async def test_a_deal_closed_as_lost_unnoticed_gets_the_closing_status_of_its_reason(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        avito_id, amo_id = await worked_lead(r, "contacted")
        reason = r.layout.loss_reason_ids["Продавец передумал"]
        await r.move(amo_id, "lost", loss_reason_id=reason)

        fixed = await r.reconciler().run(fix=True)
        await r.send_all()

        assert await r.findings(fixed) == {("missing_in_avito", "queued"): 1}
        assert r.avito_status(avito_id) == "cancelled"
        assert await r.findings(await r.reconciler(EVERY_LEAD_READ).run(fix=True)) == {}
