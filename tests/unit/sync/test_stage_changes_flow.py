"""The stage-change flow (`sync/stage_changes.py`) against an in-memory amoCRM.

The store is real (SQLite in `tmp_path`, migrated once per session and copied per test); only
amoCRM is faked (`tests/support/fake_amo.py`). Webhook bodies are amoCRM's form encoding, stored
in the inbox the way the webhook endpoint stores them. Every `Disposition` has a test, and so has
every branch of how an inbox event is settled.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import select
from tests.support.fake_amo import LOST, InMemoryAmoApi

from leadbridge.amocrm.client import AmoApiError
from leadbridge.amocrm.webhook import LeadStatusChange, parse_webhook
from leadbridge.config import DEFAULT_FUNNEL, InboxSettings, load_funnel
from leadbridge.domain.status_path import plan_statuses
from leadbridge.store import inbox, leads, outbox, status_log
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import InboxEvent, Lead, OutboxItem, StatusChange
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.stage_changes import (
    UNKNOWN_DEAL_PATIENCE,
    UNKNOWN_DEAL_RETRY,
    Disposition,
    StageChanges,
)
from leadbridge.sync.wakeups import LocalWakeups

pytestmark = pytest.mark.anyio

FUNNEL = load_funnel(DEFAULT_FUNNEL)
PIPELINE = 7_000_001
OTHER_PIPELINE = 7_000_002
STATUS = {
    stage.key: stage.amocrm_status_id or 7_100_000 + index
    for index, stage in enumerate(FUNNEL.stages)
}
LOSS_REASON_IDS = {
    reason.name: 7_200_000 + index for index, reason in enumerate(FUNNEL.loss_reasons)
}
LAYOUT = CrmLayout(
    pipeline_id=PIPELINE,
    status_ids=STATUS,
    field_ids={},
    enum_ids={},
    loss_reason_ids=LOSS_REASON_IDS,
)
BUYOUT_RUB = 45_000  # the partner's price: the deal's price at creation
FAST = InboxSettings(max_tries=3, retry_base_s=0.01, retry_max_s=0.02)


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test works on a copy (migrating takes longer than a test)."""
    path = tmp_path_factory.mktemp("migrated") / "leadbridge.db"
    upgrade(f"sqlite:///{path}")
    return path


@dataclass
class World:
    db: Database
    amo: InMemoryAmoApi
    wakeups: LocalWakeups
    _avito_ids: int = 0

    def flow(self, settings: InboxSettings | None = None) -> StageChanges:
        return StageChanges(
            db=self.db,
            api=self.amo,
            funnel=FUNNEL,
            layout=LAYOUT,
            wakeups=self.wakeups,
            settings=settings,
        )

    async def deal(self, amo_id: int) -> int:
        """A request from Avito made deal `amo_id` at the first stage, in amoCRM and in our
        store, as the deal batcher leaves it (the first status queued)."""
        self.amo.add_deal(amo_id, status_id=STATUS["new"], pipeline_id=PIPELINE, price=BUYOUT_RUB)
        await self.store_deal(amo_id)
        return amo_id

    async def store_deal(self, amo_id: int) -> None:
        """The batcher's commit: the lead, its deal id at the first stage, its first status."""
        self._avito_ids += 1
        payload = avito_request(f"b-{amo_id}-{self._avito_ids}")
        await accept_lead(self.db, payload, channel="feed", wakeups=self.wakeups)
        first = FUNNEL.first_stage.key
        plan = plan_statuses(
            FUNNEL, last_status=None, stage_key=first, price_kopecks=BUYOUT_RUB * 100
        )
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            lead = (
                await session.scalars(select(Lead).where(Lead.avito_lead_id == payload["id"]))
            ).one()
            await leads.mark_deals_created(
                session,
                [leads.CreatedDeal(lead.id, amo_id, None)],
                stage_key=first,
                avito_status=plan.last,
                now=now,
            )
            await outbox.enqueue_first(
                session,
                [outbox.FirstStatuses(lead.id, lead.avito_lead_id, plan.to_send)],
                occurred_at=now,
                now=now,
            )

    async def deliver(self, body: str, *, received_at: datetime | None = None) -> int | None:
        """The webhook endpoint's store: the raw body keyed by its SHA-256; None for a body
        stored before (amoCRM's byte-identical retry)."""
        async with self.db.transaction() as session:
            return await inbox.add_if_new(
                session,
                source="amocrm",
                event_key=hashlib.sha256(body.encode()).hexdigest(),
                channel="webhook",
                body=body,
                now=received_at or datetime.now(UTC),
            )

    async def event(self, event_id: int | None) -> InboxEvent:
        assert event_id is not None
        async with self.db.transaction() as session:
            found = await session.get(InboxEvent, event_id)
        assert found is not None
        return found

    async def lead(self, amo_id: int) -> Lead:
        async with self.db.transaction() as session:
            found = await leads.by_amo_lead_id(session, amo_id)
        assert found is not None
        return found

    async def logged(self, amo_id: int) -> list[StatusChange]:
        lead = await self.lead(amo_id)
        async with self.db.transaction() as session:
            return list(await status_log.for_lead(session, lead.id))

    async def queued(self, amo_id: int) -> list[tuple[str, int | None, str | None]]:
        """The lead's outbox in order: (status, price in kopecks, reason)."""
        lead = await self.lead(amo_id)
        async with self.db.transaction() as session:
            items = await session.scalars(
                select(OutboxItem).where(OutboxItem.lead_id == lead.id).order_by(OutboxItem.seq)
            )
            return [(item.status, item.price_kopecks, item.reason) for item in items]

    async def all_logged(self) -> int:
        async with self.db.transaction() as session:
            return len((await session.scalars(select(StatusChange.id))).all())


@pytest.fixture
async def world(migrated: Path, tmp_path: Path) -> AsyncIterator[World]:
    path = tmp_path / "leadbridge.db"
    for sidecar in migrated.parent.glob(migrated.name + "*"):
        shutil.copyfile(sidecar, tmp_path / sidecar.name)
    db = Database(f"sqlite:///{path}")
    amo = InMemoryAmoApi(loss_reason_names={id_: name for name, id_ in LOSS_REASON_IDS.items()})
    try:
        yield World(db, amo, LocalWakeups())
    finally:
        await db.dispose()


def avito_request(avito_id: str) -> dict[str, Any]:
    return {
        "id": avito_id,
        "offerType": "trade_in",
        "createdAt": "2026-11-23T10:00:00Z",
        "device": {"category": "phone", "vendor": "Apple", "model": "iPhone 13 Pro"},
        "seller": {"userId": 7, "name": "Иван", "phone": "8 (916) 123-45-67"},
        "location": {"city": "Казань"},
        "buyoutPrice": BUYOUT_RUB * 100,
    }


def only_change(body: str) -> LeadStatusChange:
    (change,) = parse_webhook(body).status_changes
    return change


def moves_of(logged: list[StatusChange]) -> list[tuple[int | None, int, str]]:
    return [(row.old_status_id, row.new_status_id, row.source) for row in logged]


ACCEPTED = ("accepted", None, None)


# --- one test per Disposition ------------------------------------------------------------------


async def test_applied_a_change_continuing_the_history_is_logged_and_its_statuses_queued(
    world: World,
) -> None:
    amo_id = await world.deal(5_000_001)
    move = world.amo.move(amo_id, status_id=STATUS["price_agreed"], price=41_000)

    disposition = await world.flow().handle(only_change(world.amo.status_webhook(move)))

    assert disposition is Disposition.APPLIED
    (row,) = await world.logged(amo_id)
    assert (row.old_status_id, row.new_status_id) == (STATUS["new"], STATUS["price_agreed"])
    assert (row.stage_key, row.verdict, row.source) == ("price_agreed", "send", "webhook")
    assert row.price_kopecks == 4_100_000
    assert row.occurred_at.timestamp() == move.at
    # Avito's chain has no gaps: the status in between is queued first, the price with its own.
    assert await world.queued(amo_id) == [
        ACCEPTED,
        ("contacted", None, None),
        ("price_agreed", 4_100_000, None),
    ]
    lead = await world.lead(amo_id)
    assert (lead.stage_key, lead.avito_status) == ("price_agreed", "price_agreed")
    assert world.amo.asked == []  # the webhook carries the price: nothing to read


@pytest.mark.parametrize(
    ("stage", "reads_of_the_deal"),
    [
        ("contacted", 0),  # priced by the webhook: the deal is never read
        ("lost", 1),  # read once for its loss reason, never again for the duplicate
    ],
)
async def test_duplicate_a_change_seen_before_changes_nothing(
    world: World, stage: str, reads_of_the_deal: int
) -> None:
    amo_id = await world.deal(5_000_002)
    reason = LOSS_REASON_IDS["Продавец не отвечает"] if stage == "lost" else None
    move = world.amo.move(amo_id, status_id=STATUS[stage], loss_reason_id=reason)
    change = only_change(world.amo.status_webhook(move))
    flow = world.flow()
    assert await flow.handle(change) is Disposition.APPLIED
    logged, queued = await world.logged(amo_id), await world.queued(amo_id)

    assert await flow.handle(change) is Disposition.DUPLICATE

    assert [row.id for row in await world.logged(amo_id)] == [row.id for row in logged]
    assert await world.queued(amo_id) == queued
    assert len(queued) == 2
    assert world.amo.calls["lead"] == reads_of_the_deal


async def test_gap_a_change_skipping_known_history_replays_the_deal_from_the_events_api(
    world: World,
) -> None:
    amo_id = await world.deal(5_000_003)
    world.amo.move(amo_id, status_id=STATUS["taken"])  # webhook lost
    world.amo.move(amo_id, status_id=STATUS["contacted"])  # webhook lost
    last = world.amo.move(amo_id, status_id=STATUS["price_agreed"], price=41_000)

    disposition = await world.flow().handle(only_change(world.amo.status_webhook(last)))

    assert disposition is Disposition.GAP
    logged = await world.logged(amo_id)
    assert moves_of(logged) == [
        (STATUS["new"], STATUS["taken"], "events"),
        (STATUS["taken"], STATUS["contacted"], "events"),
        (STATUS["contacted"], STATUS["price_agreed"], "events"),
    ]
    assert [row.verdict for row in logged] == ["unchanged", "send", "send"]
    assert await world.queued(amo_id) == [
        ACCEPTED,
        ("contacted", None, None),
        ("price_agreed", 4_100_000, None),  # events carry no price: the deal's, read after them
    ]
    assert world.amo.asked_for("lead_status_events") == [(amo_id,)]
    assert world.amo.asked_for("deals") == [((amo_id,),)]  # one read for all the replayed changes
    assert world.amo.calls["lead"] == 0
    assert (await world.lead(amo_id)).stage_key == "price_agreed"


@pytest.mark.parametrize(
    ("status_id", "pipeline_id"),
    [
        (7_300_001, OTHER_PIPELINE),  # moved to another pipeline
        (LOST, OTHER_PIPELINE),  # closed there: 142 and 143 are the same ids in every pipeline
        (7_399_999, PIPELINE),  # a stage of our pipeline the funnel does not have
    ],
    ids=["another_pipeline", "closed_in_another_pipeline", "stage_not_in_funnel"],
)
async def test_not_ours_a_change_outside_the_funnel_is_neither_logged_nor_sent(
    world: World, status_id: int, pipeline_id: int
) -> None:
    amo_id = await world.deal(5_000_004)
    move = world.amo.move(amo_id, status_id=status_id, pipeline_id=pipeline_id)

    disposition = await world.flow().handle(only_change(world.amo.status_webhook(move)))

    assert disposition is Disposition.NOT_OURS
    assert await world.logged(amo_id) == []
    assert await world.queued(amo_id) == [ACCEPTED]
    assert (await world.lead(amo_id)).stage_key == "new"
    assert world.amo.asked == []


async def test_unknown_deal_a_change_of_a_deal_not_stored_is_neither_logged_nor_sent(
    world: World,
) -> None:
    world.amo.add_deal(5_000_005, status_id=STATUS["new"], pipeline_id=PIPELINE, price=BUYOUT_RUB)
    move = world.amo.move(5_000_005, status_id=STATUS["contacted"])

    disposition = await world.flow().handle(only_change(world.amo.status_webhook(move)))

    assert disposition is Disposition.UNKNOWN_DEAL
    assert await world.all_logged() == 0
    assert world.amo.asked == []


# --- how the flow settles inbox events -----------------------------------------------------------


async def test_a_webhook_in_the_inbox_is_applied_once_and_settled(world: World) -> None:
    amo_id = await world.deal(5_000_010)
    move = world.amo.move(amo_id, status_id=STATUS["contacted"])
    event_id = await world.deliver(world.amo.status_webhook(move))
    flow = world.flow()

    assert await flow.run_once() == 1
    assert await flow.run_once() == 0  # nothing left to do

    event = await world.event(event_id)
    assert event.processed_at is not None
    assert (event.error, event.attempts, event.quarantined_at) == (None, 0, None)
    assert moves_of(await world.logged(amo_id)) == [(STATUS["new"], STATUS["contacted"], "webhook")]
    assert await world.queued(amo_id) == [ACCEPTED, ("contacted", None, None)]


async def test_a_redelivered_webhook_is_a_no_op(world: World) -> None:
    amo_id = await world.deal(5_000_011)
    move = world.amo.move(amo_id, status_id=STATUS["contacted"])
    body = world.amo.status_webhook(move)
    await world.deliver(body)
    flow = world.flow()
    await flow.run_once()
    # amoCRM's byte-identical retry is refused by the inbox; a redelivery of the same change in
    # another body (its fields in another order) reaches the flow.
    reordered = "&".join(reversed(body.split("&")))
    assert await world.deliver(body) is None
    again = await world.deliver(reordered)

    assert await flow.run_once() == 1

    event = await world.event(again)
    assert (event.processed_at is not None, event.error) == (True, None)
    assert len(await world.logged(amo_id)) == 1
    assert await world.queued(amo_id) == [ACCEPTED, ("contacted", None, None)]


async def test_webhooks_out_of_order_are_replayed_in_amocrm_order_and_the_late_ones_ignored(
    world: World,
) -> None:
    amo_id = await world.deal(5_000_012)
    first = world.amo.move(amo_id, status_id=STATUS["contacted"])
    second = world.amo.move(amo_id, status_id=STATUS["price_agreed"], price=41_000)
    third = world.amo.move(amo_id, status_id=STATUS["pickup_scheduled"])
    flow = world.flow()
    await world.deliver(world.amo.status_webhook(third))  # overtook the other two

    assert await flow.run_once() == 1
    for late in (second, first):
        await world.deliver(world.amo.status_webhook(late))
    assert await flow.run_once() == 2

    assert moves_of(await world.logged(amo_id)) == [
        (STATUS["new"], STATUS["contacted"], "events"),
        (STATUS["contacted"], STATUS["price_agreed"], "events"),
        (STATUS["price_agreed"], STATUS["pickup_scheduled"], "events"),
    ]
    assert await world.queued(amo_id) == [
        ACCEPTED,
        ("contacted", None, None),
        ("price_agreed", 4_100_000, None),
        ("pickup_scheduled", None, None),
    ]
    assert world.amo.calls["lead_status_events"] == 1  # the late ones were known: no re-read
    assert world.amo.calls["deals"] == 1


async def test_an_unknown_deal_is_looked_at_again_shortly_and_applied_once_stored(
    world: World,
) -> None:
    world.amo.add_deal(5_000_013, status_id=STATUS["new"], pipeline_id=PIPELINE, price=BUYOUT_RUB)
    move = world.amo.move(5_000_013, status_id=STATUS["contacted"])
    event_id = await world.deliver(world.amo.status_webhook(move))
    flow = world.flow()

    before = datetime.now(UTC)
    assert await flow.run_once() == 0  # a manager was faster than the batcher's commit
    waiting = await world.event(event_id)
    assert await flow.run_once() == 0  # not looked at again before its time

    assert (waiting.processed_at, waiting.attempts, waiting.error) == (None, 0, None)
    assert waiting.next_attempt_at is not None
    assert before < waiting.next_attempt_at <= datetime.now(UTC) + UNKNOWN_DEAL_RETRY
    await world.store_deal(5_000_013)  # the batcher's commit lands
    await anyio.sleep((waiting.next_attempt_at - datetime.now(UTC)).total_seconds() + 0.05)

    assert await flow.run_once() == 1
    assert moves_of(await world.logged(5_000_013)) == [
        (STATUS["new"], STATUS["contacted"], "webhook")
    ]
    event = await world.event(event_id)
    assert (event.processed_at is not None, event.error) == (True, None)


async def test_an_unknown_deal_is_given_up_after_the_patience(world: World) -> None:
    world.amo.add_deal(5_000_014, status_id=STATUS["new"], pipeline_id=PIPELINE, price=BUYOUT_RUB)
    move = world.amo.move(5_000_014, status_id=STATUS["contacted"])
    long_ago = datetime.now(UTC) - UNKNOWN_DEAL_PATIENCE - timedelta(seconds=1)
    event_id = await world.deliver(world.amo.status_webhook(move), received_at=long_ago)

    assert await world.flow().run_once() == 1

    event = await world.event(event_id)
    assert event.processed_at is not None
    assert event.error == "a change of a deal leadbridge does not know"
    assert event.quarantined_at is None  # not a poison body: a deal that is not ours
    assert await world.all_logged() == 0


@pytest.mark.parametrize(
    ("reason", "avito_status"),
    [("Не сошлись в цене", "rejected"), ("Продавец передумал", "cancelled")],
)
async def test_a_deal_closed_as_lost_has_its_loss_reason_read_back(
    world: World, reason: str, avito_status: str
) -> None:
    amo_id = await world.deal(5_000_015)
    move = world.amo.move(amo_id, status_id=LOST, loss_reason_id=LOSS_REASON_IDS[reason])
    await world.deliver(world.amo.status_webhook(move))  # a webhook says nothing of the reason

    assert await world.flow().run_once() == 1

    assert world.amo.asked_for("lead") == [(amo_id,)]
    (row,) = await world.logged(amo_id)
    assert (row.stage_key, row.loss_reason, row.verdict) == ("lost", reason, "send")
    assert await world.queued(amo_id) == [ACCEPTED, (avito_status, None, reason)]


@pytest.mark.parametrize(
    "body",
    [
        "hello=world",  # not an amoCRM webhook at all
        "leads[status][0][id]=99999999999999999999999&leads[status][0][status_id]=7&account[id]=1",
    ],
    ids=["not_a_webhook", "id_out_of_range"],
)
async def test_a_body_that_does_not_parse_is_quarantined_at_once(world: World, body: str) -> None:
    amo_id = await world.deal(5_000_016)
    poison = await world.deliver(body)
    behind = world.amo.move(amo_id, status_id=STATUS["contacted"])
    await world.deliver(world.amo.status_webhook(behind))

    assert await world.flow().run_once() == 2

    event = await world.event(poison)
    assert event.quarantined_at is not None
    assert event.processed_at is not None
    assert event.attempts == 1  # no retries: it would fail the same way every time
    assert event.error is not None
    assert event.error.startswith("тело не разбирается")
    assert await world.queued(amo_id) == [ACCEPTED, ("contacted", None, None)]


async def test_an_event_failing_for_good_is_quarantined_after_max_tries_and_blocks_nothing(
    world: World,
) -> None:
    failing = await world.deal(5_000_017)
    good = await world.deal(5_000_018)
    closed = world.amo.move(failing, status_id=LOST, loss_reason_id=None)
    await world.deliver(world.amo.status_webhook(closed))
    await world.deliver(world.amo.status_webhook(world.amo.move(good, status_id=STATUS["taken"])))
    world.amo.fail("lead", AmoApiError(400, "Bad Request"), times=FAST.max_tries)
    flow = world.flow(FAST)

    assert await flow.run_once() == 1  # the good one; the failing one waits for its next try
    assert moves_of(await world.logged(good)) == [(STATUS["new"], STATUS["taken"], "webhook")]
    (first_try,) = await unsettled(world)
    assert first_try.attempts == 1
    assert first_try.error is not None
    assert "AmoApiError" in first_try.error
    passes = 1
    while await unsettled(world):
        assert passes < 100, "the failing event was never set aside"
        await anyio.sleep(0.02)
        await flow.run_once()
        passes += 1

    _, (kept,) = await quarantined(world)
    assert kept.id == first_try.id
    assert kept.attempts == FAST.max_tries
    assert kept.error is not None
    assert kept.error.startswith(f"не обработано за {FAST.max_tries} попыток: AmoApiError")
    assert world.amo.calls["lead"] == FAST.max_tries  # one read per try, none after
    assert await world.logged(failing) == []
    assert await world.queued(failing) == [ACCEPTED]


@pytest.mark.parametrize(
    "outage",
    [
        httpx.ConnectError("connection refused"),
        AmoApiError(503, "Service Unavailable"),
        AmoApiError(0, "gave up after 6 tries"),
    ],
    ids=["connect_error", "amocrm_503", "retries_exhausted"],
)
async def test_a_partner_outage_stops_the_step_without_counting_against_the_event(
    world: World, outage: Exception
) -> None:
    closing = await world.deal(5_000_019)
    behind = await world.deal(5_000_020)
    await world.deliver(world.amo.status_webhook(world.amo.move(closing, status_id=LOST)))
    await world.deliver(world.amo.status_webhook(world.amo.move(behind, status_id=STATUS["taken"])))
    world.amo.outage = outage
    flow = world.flow(FAST)

    with pytest.raises(type(outage)):
        await flow.run_once()

    waiting = await unsettled(world)
    assert len(waiting) == 2  # the step stopped: the event behind waits too, for the partner
    for event in waiting:
        assert (event.attempts, event.error, event.next_attempt_at) == (0, None, None)
    assert await world.all_logged() == 0

    world.amo.outage = None  # amoCRM is back
    assert await flow.run_once() == 2
    assert await unsettled(world) == []
    assert await world.queued(closing) == [ACCEPTED, ("rejected", None, "Не указана")]
    assert await world.queued(behind) == [ACCEPTED]
    assert moves_of(await world.logged(behind)) == [(STATUS["new"], STATUS["taken"], "webhook")]


async def unsettled(world: World) -> list[InboxEvent]:
    async with world.db.transaction() as session:
        statement = select(InboxEvent).where(
            InboxEvent.source == "amocrm", InboxEvent.processed_at.is_(None)
        )
        return list((await session.scalars(statement.order_by(InboxEvent.id))).all())


async def quarantined(world: World) -> tuple[int, list[InboxEvent]]:
    async with world.db.transaction() as session:
        total, events = await inbox.quarantined(session, limit=10)
    return total, list(events)
