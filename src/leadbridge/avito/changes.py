"""What a seller's change of a request says: which change, its id and time, and the request as it
stands after it — read where the mapping's `[webhook]` and `[feed]` say, the request itself by
the lead mapping, so that no name of Avito's is written here.

The change's id keys it in the inbox: Avito gives one change the same id by webhook and by feed,
so it is applied once whichever way, and however often, it arrives. A change that cannot be read
— no id, no request, a request the lead mapping refuses — raises `PayloadError` naming the
place, and the channel that brought it keeps it in quarantine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from leadbridge.avito.envelope import (
    ChangeBody,
    ChangeKind,
    change_kind,
    json_object,
    value_at,
)
from leadbridge.avito.mapping import LeadMapping
from leadbridge.avito.mapping_in_force import active_mapping
from leadbridge.avito.payload import PayloadError, parse_lead
from leadbridge.avito.readers import READERS
from leadbridge.domain.lead import BuyoutRequest

MAX_CHANGE_ID = 200  # the inbox key is `change:<id>`, at most 256 characters


@dataclass(frozen=True, slots=True)
class AvitoChange:
    kind: ChangeKind
    change_id: str
    changed_at: datetime | None  # None when Avito did not say: the moment it was read
    request: BuyoutRequest  # as it stands after the change (withdrawn: as it was withdrawn)

    @property
    def inbox_key(self) -> str:
        return f"change:{self.change_id}"


def read_change(body: ChangeBody, mapping: LeadMapping | None = None) -> AvitoChange:
    """The change in a webhook envelope or a feed row (as `body.in_feed` says)."""
    mapping = mapping or active_mapping()
    webhook, feed = mapping.wire.webhook, mapping.wire.feed
    if body.in_feed:
        places: tuple[tuple[str, ...], ...] = (
            (feed.row_change_id,),
            (feed.row_changed_at,),
            (feed.row_lead,),
        )
    else:
        places = (webhook.change_id_path, webhook.changed_at_path, webhook.lead_path)
    id_path, at_path, lead_path = places
    change_id = READERS["id"](value_at(body, id_path))
    if not change_id or len(change_id) > MAX_CHANGE_ID:
        where = ".".join(id_path)
        raise PayloadError(f"{_named(body, mapping)} without a usable {where}", where)
    lead = value_at(body, lead_path)
    if not isinstance(lead, Mapping):
        where = ".".join(lead_path)
        raise PayloadError(f"{_named(body, mapping)} without {where}", where)
    changed_at = value_at(body, at_path)
    return AvitoChange(
        kind=body.kind,
        change_id=change_id,
        changed_at=READERS["datetime"](changed_at) if changed_at is not None else None,
        request=parse_lead(lead, mapping),
    )


def stored_change(body: str, *, in_feed: bool, mapping: LeadMapping | None = None) -> AvitoChange:
    """A change kept raw in the inbox, read again (by the flow that applies it)."""
    raw = json_object(body)
    mapping = mapping or active_mapping()
    if in_feed:
        kind = change_kind(raw.get(mapping.wire.feed.row_type), mapping)
    else:
        kind = change_kind(value_at(raw, mapping.wire.webhook.type_path), mapping)
    if kind is None:
        raise PayloadError("the kept event is no longer a change under the mapping", "type")
    return read_change(ChangeBody(raw, kind, in_feed=in_feed), mapping)


def _named(body: ChangeBody, mapping: LeadMapping) -> str:
    shape = mapping.wire.webhook
    return shape.lead_updated if body.kind is ChangeKind.UPDATED else shape.lead_withdrawn
