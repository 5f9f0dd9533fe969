"""What an Avito event says before its lead is read: a webhook envelope or a feed row, read where
the mapping says (`[webhook]`, `[feed]`), so that a reshaped envelope is a change of
configuration too.

A body that is not JSON, too deeply nested, or not shaped as the mapping says raises
`PayloadError` naming what was expected and what was found: the caller keeps it in quarantine.

A seller's change of a request (`lead.updated`, `lead.withdrawn`) is handed on as it came, a
`ChangeBody`, where a new request's lead goes: every path that takes requests in (the webhook
endpoint, the feed, the replay of quarantine) takes changes in with them, and intake tells the
two apart (`sync/intake.py`); what a change says is read by `avito/changes.py`.
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
    LEAD = "lead"  # a new request, or a seller's change of one (`AvitoEvent.change`)


class ChangeKind(StrEnum):
    UPDATED = "updated"  # the seller changed the price, the phone or the device's details
    WITHDRAWN = "withdrawn"  # the seller cancelled the request on Avito


class ChangeBody(dict[str, Any]):
    """A seller's change as Avito sent it: a whole webhook envelope, or a whole feed row
    (`in_feed`). Kept whole, since the change's id and time lie beside the request."""

    def __init__(self, raw: Mapping[str, Any], kind: ChangeKind, *, in_feed: bool) -> None:
        super().__init__(raw)
        self.kind = kind
        self.in_feed = in_feed


@dataclass(frozen=True, slots=True)
class AvitoEvent:
    kind: EventKind
    # A new request's lead; for a change, the whole change (a ChangeBody).
    lead: Mapping[str, Any] | None = None
    change: ChangeKind | None = None


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
    change = change_kind(event_type, mapping)
    if change is not None:
        return AvitoEvent(EventKind.LEAD, ChangeBody(envelope, change, in_feed=False), change)
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
    change = change_kind(item.get(shape.row_type), mapping)
    if change is not None:
        return ChangeBody(item, change, in_feed=True)
    lead = item.get(shape.row_lead)
    if isinstance(lead, Mapping) and shape.row_id in item:
        return lead
    return item


def change_kind(event_type: object, mapping: LeadMapping | None = None) -> ChangeKind | None:
    """The change an event type (a webhook's or a feed row's) names; None for any other."""
    shape = (mapping or active_mapping()).wire.webhook
    kinds = {shape.lead_updated: ChangeKind.UPDATED, shape.lead_withdrawn: ChangeKind.WITHDRAWN}
    return kinds.get(event_type) if isinstance(event_type, str) else None


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
