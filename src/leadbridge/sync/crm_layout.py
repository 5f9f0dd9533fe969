"""What leadbridge provisioned in amoCRM, as the flows need it: ids both ways."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.funnel import Funnel
from leadbridge.store import crm_objects

PIPELINE, STATUS, FIELD, ENUM, LOSS_REASON = "pipeline", "status", "field", "enum", "loss_reason"
BUYOUT_PIPELINE = "buyout"


class NotProvisioned(RuntimeError):
    """amoCRM has not been set up yet: run `leadbridge setup`."""


@dataclass(frozen=True, slots=True)
class CrmLayout:
    pipeline_id: int
    status_ids: dict[str, int]  # stage key → amoCRM status id
    field_ids: dict[str, int]
    enum_ids: dict[str, int]  # "field_key:value" → enum id
    loss_reason_ids: dict[str, int]  # name → id

    def stage_of(self, status_id: int | None) -> str | None:
        """None for a status not ours (or none at all: a deal listed without one)."""
        for key, known in self.status_ids.items():
            if known == status_id:
                return key
        return None

    def loss_reason_name(self, reason_id: int | None) -> str | None:
        for name, known in self.loss_reason_ids.items():
            if known == reason_id:
                return name
        return None


async def load_layout(session: AsyncSession, funnel: Funnel) -> CrmLayout:
    pipelines = await crm_objects.ids_of(session, PIPELINE)
    if BUYOUT_PIPELINE not in pipelines:
        raise NotProvisioned("amoCRM pipeline not provisioned: run `leadbridge setup`")
    status_ids = await crm_objects.ids_of(session, STATUS)
    for stage in funnel.stages:
        if stage.amocrm_status_id is not None:
            status_ids[stage.key] = stage.amocrm_status_id
    return CrmLayout(
        pipeline_id=pipelines[BUYOUT_PIPELINE],
        status_ids=status_ids,
        field_ids=await crm_objects.ids_of(session, FIELD),
        enum_ids=await crm_objects.ids_of(session, ENUM),
        loss_reason_ids=await crm_objects.ids_of(session, LOSS_REASON),
    )
