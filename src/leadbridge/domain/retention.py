"""Retention of sellers' personal data: when a closed deal's data is due to go, and what is left
of a lead, its device and its raw payload once it is gone.

Russian personal-data law (152-FZ) asks that personal data not outlive its purpose: a deal
closed long ago needs its device, prices, city and statuses (settlement, statistics), not who
sold it. Pure: the store reads and writes, this decides.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadbridge.domain.funnel import LOST_STATUS_ID, WON_STATUS_ID

# amoCRM's two closing statuses have these ids in every pipeline: a deal is closed when its
# latest logged change entered one of them, whatever the funnel file calls the stages.
CLOSING_STATUS_IDS = frozenset({WON_STATUS_ID, LOST_STATUS_ID})
REDACTED_NAME = "удалено"
REDACTED_NOTE = "Персональные данные удалены по сроку хранения"
# What an inbox body becomes when it is not a JSON object we can redact field by field: still
# JSON, so that whatever lists or parses inbox bodies keeps working.
REDACTED_BODY = json.dumps({"redacted": "personal data removed"}, ensure_ascii=False)

Path = tuple[str, ...]
# Our names of the payload fields that identify a seller (avito/mapping.py): who they are, how
# to reach them, their listing, their phone's IMEI. The rest (device, prices, city) stays.
PERSONAL_FIELDS = frozenset(
    {"seller_name", "seller_phone", "seller_user_id", "item_id", "item_url", "device_imei"}
)


def cutoff(now: datetime, keep_closed_days: int) -> datetime:
    """Deals closed before this moment are due: their personal data goes."""
    return now - timedelta(days=keep_closed_days)


def closed_at(new_status_id: int, occurred_at: datetime) -> datetime | None:
    """When a deal whose latest change is this one was closed; None while it is open (a deal
    reopened after closing is open again: its data is kept until it closes anew)."""
    return occurred_at if new_status_id in CLOSING_STATUS_IDS else None


def personal_paths(sources: Iterable[tuple[str, Path]]) -> frozenset[Path]:
    """The payload paths to clear, from (our field name, its path in the payload) pairs: a
    seller field nested in an object takes the whole object (`seller.phone` → `seller`), so
    whatever else Avito tells about the seller there goes too."""
    paths: set[Path] = set()
    for name, path in sources:
        if name not in PERSONAL_FIELDS or not path:
            continue
        whole_object = name.startswith("seller_") and len(path) > 1
        paths.add(path[:-1] if whole_object else path)
    return frozenset(paths)


def redacted(payload: Mapping[str, Any], paths: Collection[Path]) -> dict[str, Any]:
    """A copy of `payload` with the value at each path that is present set to None. A path
    that names an object (`seller`) takes the whole object: fields Avito adds there later go
    with it. Absent paths and non-object parents are left alone."""
    copy = json.loads(json.dumps(payload))  # deep, and only JSON in it
    assert isinstance(copy, dict)
    for path in paths:
        _clear(copy, path)
    return copy


def _clear(node: dict[str, Any], path: Path) -> None:
    *parents, leaf = path
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            return
        node = child
    if leaf in node:
        node[leaf] = None


def redacted_body(body: str, paths: Collection[Path]) -> str:
    """An inbox body (the raw payload as received) with the same fields redacted; a body that
    is not a JSON object (it could not be read) is replaced whole."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return REDACTED_BODY
    if not isinstance(parsed, dict):
        return REDACTED_BODY
    return json.dumps(redacted(parsed, paths), ensure_ascii=False)


def redacted_device(device: Mapping[str, Any]) -> dict[str, Any]:
    """The device card without its IMEI (it identifies the seller's phone, and so the seller);
    model, memory, condition and the rest stay for statistics."""
    return {**device, "imei": None} if "imei" in device else dict(device)


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What one lead holds that can identify its seller."""

    lead_id: int
    avito_lead_id: str
    seller_phone: str | None
    device: Mapping[str, Any]
    raw_payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Anonymized:
    """The lead's fields as they are written back."""

    lead_id: int
    device: dict[str, Any]
    raw_payload: dict[str, Any]


def anonymized(lead: PersonalData, paths: Collection[Path]) -> Anonymized:
    return Anonymized(
        lead_id=lead.lead_id,
        device=redacted_device(lead.device),
        raw_payload=redacted(lead.raw_payload, paths),
    )


@dataclass(slots=True)
class PurgeCounts:
    """What a run did (or, dry, would do)."""

    leads: int = 0
    events: int = 0  # inbox bodies redacted
    contacts: int = 0  # phone index rows forgotten
