"""The amoCRM simulator's state dump as the invariants read it: our pipeline's deals by Avito
lead id, its stages by amoCRM status id, the loss reasons, and each deal's status-change events
in the order they were created.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadbridge.domain.funnel import Funnel

Json = Mapping[str, Any]
AVITO_ID_FIELD_CODE = "AVITO_LEAD_ID"
AVITO_ID_FIELD_NAME = "ID заявки Авито"
STATUS_CHANGED = "lead_status_changed"


@dataclass(frozen=True)
class CrmView:
    """The amoCRM dump as the checks need it: our pipeline's deals, stages and events."""

    pipeline_id: int | None
    stage_by_status: Mapping[int, str]
    loss_reasons: Mapping[int, str]
    deals_by_avito_id: Mapping[str, Sequence[Json]]
    deals_without_id: Sequence[int]
    events_by_deal: Mapping[int, Sequence[Json]]

    def stage_of(self, status: Json) -> str | None:
        pipeline = status.get("pipeline_id")
        if pipeline is not None and pipeline != self.pipeline_id:
            return None
        return self.stage_by_status.get(int(status.get("id") or 0))

    def creation_stage(self, deal: Json, events: Sequence[Json]) -> str | None:
        """The stage the deal was created in: before its first change, or where it still is."""
        if events:
            return self.stage_of(_lead_status(events[0].get("value_before")))
        return self.stage_of({"id": deal.get("status_id"), "pipeline_id": deal.get("pipeline_id")})

    def stage_after(self, event: Json) -> str | None:
        """The stage a status-change event moved the deal to; None if not one of our funnel's."""
        return self.stage_of(_lead_status(event.get("value_after")))


def crm_view(amocrm_state: Mapping[str, Any], funnel: Funnel) -> CrmView:
    pipeline = _pipeline_named(amocrm_state.get("pipelines", []), funnel.name)
    pipeline_id = int(pipeline["id"]) if pipeline else None
    deals = [d for d in amocrm_state.get("leads", []) if _in_pipeline(d, pipeline_id)]
    by_avito_id: dict[str, list[Json]] = defaultdict(list)
    without_id: list[int] = []
    for deal in deals:
        avito_id = avito_lead_id(deal)
        if avito_id:
            by_avito_id[avito_id].append(deal)
        else:
            without_id.append(int(deal["id"]))
    return CrmView(
        pipeline_id=pipeline_id,
        stage_by_status=_stage_by_status(pipeline, funnel),
        loss_reasons={int(r["id"]): str(r["name"]) for r in amocrm_state.get("loss_reasons", [])},
        deals_by_avito_id=by_avito_id,
        deals_without_id=without_id,
        events_by_deal=_status_events(amocrm_state.get("events", [])),
    )


def avito_lead_id(deal: Json) -> str | None:
    for value in deal.get("custom_fields_values") or []:
        ours = value.get("field_code") == AVITO_ID_FIELD_CODE
        if ours or value.get("field_name") == AVITO_ID_FIELD_NAME:
            values = value.get("values") or []
            if values and values[0].get("value") not in (None, ""):
                return str(values[0]["value"])
    return None


def _lead_status(value: Any) -> Json:
    for item in value or []:
        if "lead_status" in item:
            status: Json = item["lead_status"]
            return status
    return {}


def _status_events(events: Iterable[Json]) -> dict[int, list[Json]]:
    by_deal: dict[int, list[Json]] = defaultdict(list)
    for event in sorted(events, key=_creation_order):
        if event.get("type") == STATUS_CHANGED and event.get("entity_type", "lead") == "lead":
            by_deal[int(event["entity_id"])].append(event)
    return by_deal


def _creation_order(event: Json) -> tuple[int, int, str]:
    event_id = event.get("id")
    if isinstance(event_id, int) or (isinstance(event_id, str) and event_id.isdigit()):
        return (0, int(event_id), "")
    return (1, 0, str(event_id))


def _pipeline_named(pipelines: Iterable[Json], name: str) -> Json | None:
    return next((p for p in pipelines if p.get("name") == name), None)


def _in_pipeline(deal: Json, pipeline_id: int | None) -> bool:
    return pipeline_id is not None and deal.get("pipeline_id") == pipeline_id


def _stage_by_status(pipeline: Json | None, funnel: Funnel) -> dict[int, str]:
    statuses = (pipeline or {}).get("_embedded", {}).get("statuses", [])
    by_name = {stage.name: stage.key for stage in funnel.working_stages}
    mapping = {int(s["id"]): by_name[s["name"]] for s in statuses if s.get("name") in by_name}
    for stage in funnel.stages:
        if stage.amocrm_status_id is not None:
            mapping[stage.amocrm_status_id] = stage.key
    return mapping
