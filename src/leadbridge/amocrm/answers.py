"""amoCRM's answers as the flows read them: frozen dataclasses parsed at `AmoApi`'s boundary.

Real accounts send older and leaner shapes than the reference: any field may be missing or null
and a number may come as a string. Parsing never fails on that: a number that is not one is
None, a missing list is empty. Only an item without an id is no item at all: nothing could be
recorded or matched for it, so a list leaves it out (and says so in the log).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

Json = dict[str, Any]  # a request body, or an answer not parsed yet
Item = TypeVar("Item")
log = structlog.get_logger(__name__)


class AmoAnswerError(ValueError):
    """An answer without what every answer of its kind has (the entity it just created)."""


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One custom field of a deal: its id and each entry's `value`, in amoCRM's order."""

    field_id: int | None
    values: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Deal:
    """A deal (amoCRM's "lead"), as listed or read `with=loss_reason`."""

    id: int
    name: str | None
    status_id: int | None
    pipeline_id: int | None
    price: int | None  # whole rubles: amoCRM keeps no kopecks
    loss_reason_id: int | None
    updated_at: int | None  # Unix seconds
    custom_fields: tuple[FieldValue, ...] = ()

    def field_value(self, field_id: int | None) -> object | None:
        """The first value of the first custom field `field_id` that has any; else None."""
        for field in self.custom_fields:
            if field.field_id == field_id and field.values:
                return field.values[0]
        return None


@dataclass(frozen=True, slots=True)
class LeadStatus:
    """Where a deal stood, as a status event's `value_before` / `value_after` says."""

    status_id: int
    pipeline_id: int | None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """A `lead_status_changed` event of `/api/v4/events`. `before` or `after` is None when the
    event does not hold exactly the one `lead_status` a usable change has."""

    id: str  # sorts by creation among events of the same second
    deal_id: int | None
    created_at: int | None  # Unix seconds, amoCRM's clock
    before: LeadStatus | None
    after: LeadStatus | None


@dataclass(frozen=True, slots=True)
class DealCreated:
    """One row of `/leads/complex`'s answer: the deal made for our `request_id`, and the
    contact it was linked to (an existing one, or one made with it)."""

    deal_id: int
    contact_id: int | None
    request_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Note:
    text: str | None  # `params.text` of a common note; None for other kinds


@dataclass(frozen=True, slots=True)
class Named:
    """What amoCRM knows by id and a person by name: a pipeline, its status, a loss reason."""

    id: int
    name: str | None


@dataclass(frozen=True, slots=True)
class Pipeline(Named):
    statuses: tuple[Named, ...]


@dataclass(frozen=True, slots=True)
class FieldEnum:
    """An option of a select or multiselect field, known to us by its value."""

    id: int
    value: str


@dataclass(frozen=True, slots=True)
class LeadField:
    """A deal custom field: our fields are found by `code`, a select's options by value."""

    id: int
    code: str | None
    enums: tuple[FieldEnum, ...]


@dataclass(frozen=True, slots=True)
class Webhook:
    destination: str | None
    disabled: bool  # switched off by amoCRM after too many failed deliveries


def deal(body: Any, known_id: int | None = None) -> Deal | None:
    """`known_id`: the id asked for, when the answer is about one deal and may omit it."""
    item = _mapping(body)
    deal_id = _int(item.get("id"))
    deal_id = deal_id if deal_id is not None else known_id
    if deal_id is None:
        return None
    fields = [field for field in _list(item.get("custom_fields_values")) if _is_mapping(field)]
    return Deal(
        id=deal_id,
        name=_text(item.get("name")),
        status_id=_int(item.get("status_id")),
        pipeline_id=_int(item.get("pipeline_id")),
        price=_int(item.get("price")),
        loss_reason_id=_int(item.get("loss_reason_id")),
        updated_at=_int(item.get("updated_at")),
        custom_fields=tuple(_field_value(field) for field in fields),
    )


def status_event(body: Any) -> StatusEvent:
    item = _mapping(body)
    return StatusEvent(
        id="" if item.get("id") is None else str(item["id"]),
        deal_id=_int(item.get("entity_id")),
        created_at=_int(item.get("created_at")),
        before=_lead_status(item.get("value_before")),
        after=_lead_status(item.get("value_after")),
    )


def deal_created(body: Any) -> DealCreated | None:
    item = _mapping(body)
    deal_id = _int(item.get("id"))
    if deal_id is None:
        return None
    requested = item.get("request_id")
    request_ids = requested if isinstance(requested, list) else [requested]
    return DealCreated(
        deal_id=deal_id,
        contact_id=_int(item.get("contact_id")),
        request_ids=tuple(str(request_id) for request_id in request_ids if request_id is not None),
    )


def note(body: Any) -> Note:
    return Note(text=_text(_mapping(_mapping(body).get("params")).get("text")))


def named(body: Any) -> Named | None:
    item = _mapping(body)
    item_id = _int(item.get("id"))
    return None if item_id is None else Named(item_id, _text(item.get("name")))


def pipeline(body: Any) -> Pipeline | None:
    item = _mapping(body)
    pipeline_id = _int(item.get("id"))
    if pipeline_id is None:
        return None
    statuses = parsed(embedded(item, "statuses"), named, "status")
    return Pipeline(pipeline_id, _text(item.get("name")), tuple(statuses))


def lead_field(body: Any) -> LeadField | None:
    item = _mapping(body)
    field_id = _int(item.get("id"))
    if field_id is None:
        return None
    return LeadField(field_id, _text(item.get("code")), tuple(parsed(item.get("enums"), _enum)))


def webhook(body: Any) -> Webhook:
    item = _mapping(body)
    return Webhook(destination=_text(item.get("destination")), disabled=bool(item.get("disabled")))


def embedded(answer: Any, key: str) -> list[Any]:
    """`_embedded[key]` of a HAL answer; empty for a 204 (None) or an answer without it."""
    return _list(_mapping(_mapping(answer).get("_embedded")).get(key))


def parsed(items: Any, parse: Callable[[Any], Item | None], kind: str = "") -> list[Item]:
    """Each item parsed; one `parse` cannot use (no id) is left out, and logged when `kind`
    names it."""
    result: list[Item] = []
    for item in _list(items):
        value = parse(item)
        if value is not None:
            result.append(value)
        elif kind:
            log.warning("amocrm.answer_item_without_id", kind=kind)
    return result


def _field_value(field: Mapping[str, Any]) -> FieldValue:
    entries = [entry for entry in _list(field.get("values")) if _is_mapping(entry)]
    return FieldValue(_int(field.get("field_id")), tuple(entry.get("value") for entry in entries))


def _lead_status(values: Any) -> LeadStatus | None:
    if not isinstance(values, list) or not values or not _is_mapping(values[0]):
        return None
    status = values[0].get("lead_status")
    status_id = _int(status.get("id")) if _is_mapping(status) else None
    if status_id is None:
        return None
    return LeadStatus(status_id, _int(status.get("pipeline_id")))


def _enum(body: Any) -> FieldEnum | None:
    item = _mapping(body)
    enum_id, value = _int(item.get("id")), _text(item.get("value"))
    return None if enum_id is None or value is None else FieldEnum(enum_id, value)


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):  # ValueError also for a number of over 4300 digits
        return None
