"""Set up amoCRM for the funnel: pipeline and stages, deal fields, loss reasons, webhook.

Idempotent: what exists is found (by the id recorded earlier, else by name) and kept; only what
is missing is created. A stage a person renamed keeps its recorded id. With `dry_run`, nothing is
created and nothing recorded: the returned list says what would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import structlog

from leadbridge.amocrm.answers import LeadField, Named
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.deal_fields import DEAL_FIELDS, DealField
from leadbridge.domain.funnel import Funnel
from leadbridge.store import crm_objects
from leadbridge.store.database import Database
from leadbridge.sync.crm_layout import (
    BUYOUT_PIPELINE,
    ENUM,
    FIELD,
    LOSS_REASON,
    PIPELINE,
    STATUS,
    CrmLayout,
    load_layout,
)

log = structlog.get_logger(__name__)
WEBHOOK_EVENTS = ("status_lead",)
Found = TypeVar("Found", bound=Named)


async def provision(
    db: Database, api: AmoApi, funnel: Funnel, webhook_url: str | None
) -> CrmLayout:
    await plan_and_apply(db, api, funnel, webhook_url, dry_run=False)
    async with db.transaction() as session:
        return await load_layout(session, funnel)


async def plan_and_apply(
    db: Database, api: AmoApi, funnel: Funnel, webhook_url: str | None, *, dry_run: bool
) -> list[str]:
    """Bring amoCRM in line with the funnel; returns the changes made (or, dry, to be made)."""
    changes: list[str] = []
    if not await _pipeline(db, api, funnel, changes, dry_run):
        return changes  # dry run without a pipeline: its stages are all in `changes` already
    await _fields(db, api, changes, dry_run)
    await _loss_reasons(db, api, funnel, changes, dry_run)
    if webhook_url and await ensure_webhook(api, webhook_url, dry_run=dry_run):
        changes.append("subscribe the status webhook")
    return changes


async def ensure_webhook(api: AmoApi, webhook_url: str, *, dry_run: bool = False) -> bool:
    """Subscribe, or re-enable a subscription amoCRM switched off after failed deliveries
    (re-posting the same destination re-enables it). True when it had to."""
    hooks = await api.webhooks(webhook_url)
    if any(hook.destination == webhook_url and not hook.disabled for hook in hooks):
        return False
    if not dry_run:
        await api.subscribe_webhook(webhook_url, WEBHOOK_EVENTS)
        # The first subscription is routine; one amoCRM had switched off is worth a look.
        (log.warning if hooks else log.info)("amocrm.webhook_subscribed", reenabled=bool(hooks))
    return True


async def _pipeline(
    db: Database, api: AmoApi, funnel: Funnel, changes: list[str], dry_run: bool
) -> bool:
    async with db.transaction() as session:
        recorded = await crm_objects.ids_of(session, PIPELINE)
        recorded_statuses = await crm_objects.ids_of(session, STATUS)
    pipelines = await api.pipelines()
    pipeline = _find(pipelines, recorded.get(BUYOUT_PIPELINE), funnel.name)
    if pipeline is None:
        changes.append(f"create pipeline {funnel.name!r} with {len(funnel.working_stages)} stages")
        if dry_run:
            return False
        pipeline = await api.create_pipeline(_new_pipeline(funnel))
        log.info("amocrm.pipeline_created", pipeline_id=pipeline.id)
    statuses = list(pipeline.statuses)
    missing = [
        stage
        for stage in funnel.working_stages
        if _find(statuses, recorded_statuses.get(stage.key), stage.name) is None
    ]
    changes.extend(f"add stage {stage.name!r}" for stage in missing)
    if dry_run:
        return True
    if missing:
        body = [_status_body(funnel, stage.key) for stage in missing]
        statuses += await api.add_statuses(pipeline.id, body)
    async with db.transaction() as session:
        await crm_objects.remember(session, PIPELINE, BUYOUT_PIPELINE, pipeline.id)
        for stage in funnel.working_stages:
            found = _find(statuses, recorded_statuses.get(stage.key), stage.name)
            assert found is not None
            await crm_objects.remember(session, STATUS, stage.key, found.id)
    return True


def _new_pipeline(funnel: Funnel) -> dict[str, Any]:
    return {
        "name": funnel.name,
        "sort": 100,
        "is_main": False,
        "is_unsorted_on": False,
        "_embedded": {"statuses": [_status_body(funnel, s.key) for s in funnel.working_stages]},
    }


def _status_body(funnel: Funnel, key: str) -> dict[str, Any]:
    stage = funnel.stage(key)
    position = [s.key for s in funnel.stages].index(key)
    body: dict[str, Any] = {"name": stage.name, "sort": 10 * (position + 2)}
    if stage.color:
        body["color"] = stage.color
    return body


async def _fields(db: Database, api: AmoApi, changes: list[str], dry_run: bool) -> None:
    existing = await api.lead_fields()
    missing = [field for field in DEAL_FIELDS if _find_field(existing, field.code) is None]
    changes.extend(f"create deal field {field.name!r} ({field.type})" for field in missing)
    if dry_run:
        return
    if missing:
        existing += await api.create_lead_fields([_field_body(field) for field in missing])
    async with db.transaction() as session:
        for field in DEAL_FIELDS:
            found = _find_field(existing, field.code)
            assert found is not None
            await crm_objects.remember(session, FIELD, field.key, found.id)
            for enum in found.enums:
                await crm_objects.remember(session, ENUM, f"{field.key}:{enum.value}", enum.id)


def _field_body(field: DealField) -> dict[str, Any]:
    body: dict[str, Any] = {"name": field.name, "type": field.type, "code": field.code}
    if field.enums:
        body["enums"] = [{"value": value, "sort": 10 * i} for i, value in enumerate(field.enums)]
    return body


async def _loss_reasons(
    db: Database, api: AmoApi, funnel: Funnel, changes: list[str], dry_run: bool
) -> None:
    existing = await api.loss_reasons()
    names = {reason.name for reason in existing}
    missing = [reason.name for reason in funnel.loss_reasons if reason.name not in names]
    changes.extend(f"create loss reason {name!r}" for name in missing)
    if dry_run:
        return
    if missing:
        existing += await api.create_loss_reasons(missing)
    async with db.transaction() as session:
        for reason in existing:
            if reason.name is not None:  # a nameless reason is none a manager could pick
                await crm_objects.remember(session, LOSS_REASON, reason.name, reason.id)


def _find(items: Sequence[Found], known_id: int | None, name: str) -> Found | None:
    if known_id is not None:
        for item in items:
            if item.id == known_id:
                return item
    return next((item for item in items if item.name == name), None)


def _find_field(fields: Sequence[LeadField], code: str) -> LeadField | None:
    return next((field for field in fields if field.code == code), None)
