"""What an Avito event says before its lead is read: a webhook envelope or a feed row, read where
the mapping says (`[webhook]`, `[feed]`), so that a reshaped envelope is a change of
configuration too.

A body that is not JSON, too deeply nested, or not shaped as the mapping says raises
`PayloadError` naming what was expected and what was found: the caller keeps it in quarantine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from leadbridge.avito.mapping import LeadMapping
from leadbridge.avito.mapping_in_force import active_mapping
from leadbridge.avito.payload import PayloadError
from leadbridge.json_bodies import JsonBodyError, load_json


class EventKind(StrEnum):
    PING = "ping"  # the `{}` Avito sends when a webhook is registered
    IGNORED = "ignored"  # an event of a type we do not act on
    LEAD = "lead"


@dataclass(frozen=True, slots=True)
class AvitoEvent:
    kind: EventKind
    lead: Mapping[str, Any] | None = None


def json_object(raw: bytes | str) -> dict[str, Any]:
    """The body as a JSON object, or PayloadError saying why it is not one."""
    try:
        value = load_json(raw.encode() if isinstance(raw, str) else raw)
    except JsonBodyError as error:
        raise PayloadError(str(error), "body") from error
    if not isinstance(value, dict):
        raise PayloadError(f"body is not a JSON object but {_kind(value)}", "body")
    return value


def read_webhook(raw: bytes | str, mapping: LeadMapping | None = None) -> AvitoEvent:
    """The event in a webhook body."""
    shape = (mapping or active_mapping()).wire.webhook
    envelope = json_object(raw)
    if not envelope:
        return AvitoEvent(EventKind.PING)
    event_type = value_at(envelope, shape.type_path)
    if not isinstance(event_type, str):
        where = _dotted(shape.type_path)
        raise PayloadError(f"envelope has no {where}: {_found(event_type)}", where)
    if event_type != shape.lead_created:
        return AvitoEvent(EventKind.IGNORED)
    lead = value_at(envelope, shape.lead_path)
    if not isinstance(lead, Mapping):
        where = _dotted(shape.lead_path)
        raise PayloadError(f"{shape.lead_created} without {where}: {_found(lead)}", where)
    return AvitoEvent(EventKind.LEAD, lead)


def read_feed_item(item: object, mapping: LeadMapping | None = None) -> Mapping[str, Any]:
    """The lead of a feed item kept in quarantine: a whole row (id and lead) when the row itself
    could not be read, else the lead the row held."""
    shape = (mapping or active_mapping()).wire.feed
    if not isinstance(item, Mapping):
        raise PayloadError(f"feed item is not a JSON object but {_kind(item)}", "feed item")
    lead = item.get(shape.row_lead)
    if isinstance(lead, Mapping) and shape.row_id in item:
        return lead
    return item


def value_at(value: Any, path: Sequence[str]) -> Any:
    """What lies at `path` in nested objects, or None where the path leads nowhere."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _dotted(path: Sequence[str]) -> str:
    return ".".join(path)


def _found(value: object) -> str:
    return "missing" if value is None else f"found {_kind(value)}"


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a text", bool: "true/false"}
    for python_type, name in names.items():
        if isinstance(value, python_type):
            return name
    return "a number" if isinstance(value, int | float) else "null"
