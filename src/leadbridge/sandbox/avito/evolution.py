"""Schema-evolution switches: additive changes Avito may ship without a new API version.

Each switch rehearses one change a tolerant client must survive. They can be flipped while
the sandbox runs (`POST /sandbox/evolution`); a change affects what is produced from then on —
leads already in the feed keep the payload they were created with.

The same switches also carry the breaking changes (renamed fields, integer ids, a renamed
status, a moved method, required reason codes); what they do lives in `breaking.py`.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadbridge.sandbox.avito.clock import rfc3339, utc_now
from leadbridge.sandbox.avito.state import HistoryEntry, LeadRecord
from leadbridge.sandbox.avito.transitions import StatusDictionary

# Catalog values as a later Avito form might spell them: the old spelling is gone from new leads.
RENAMED_ENUMS: dict[str, dict[str, str]] = {
    "color": {
        "графитовый": "графит",
        "темная ночь": "полночь",
        "сияющая звезда": "звездный свет",
        "серый космос": "космический серый",
        "черный": "черный оникс",
    },
    "screenCondition": {
        "Без дефектов": "Идеальное",
        "1–2 мелкие царапины": "Незначительные царапины",
        "Много мелких царапин": "Заметные царапины",
    },
    "caseCondition": {
        "Без дефектов": "Идеальное",
        "Мелкие царапины": "Незначительные царапины",
    },
}


@dataclass
class EvolutionSwitches:
    """All off by default: the sandbox then speaks exactly the documented contract."""

    extra_fields: bool = False  # unknown fields in lead payloads and in apply answers
    new_status: bool = False  # an optional status in the dictionary, set by Avito itself
    renamed_enums: bool = False  # device enum values spelled differently (RENAMED_ENUMS)
    status_comment: bool = False  # an optional `comment` accepted on status items
    new_status_name: str = "inspection_scheduled"
    new_status_after: str = "device_received"
    # Breaking changes (breaking.py): a client survives them only by a change of its own.
    renamed_fields: bool = False  # `buyoutPrice` and `seller.phone` move to `offer` and `contacts`
    id_as_int: bool = False  # new leads get integer ids
    status_renamed: bool = False  # `renamed_status_from` is called `renamed_status_to`
    apply_v2: bool = False  # status apply moves to /v2/; the v1 path answers 410
    reason_codes: bool = False  # `rejected`/`cancelled` items need a `reasonCode`
    renamed_status_from: str = "device_received"
    renamed_status_to: str = "device_accepted"

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def dictionary_for(statuses: StatusDictionary, switches: EvolutionSwitches) -> StatusDictionary:
    """The status dictionary in force: with the new optional status when its switch is on."""
    if not switches.new_status:
        return statuses
    optional = {**statuses.optional, switches.new_status_name: switches.new_status_after}
    return dataclasses.replace(statuses, optional=optional)


def item_fields(switches: EvolutionSwitches) -> frozenset[str]:
    """Optional status-item fields accepted on top of the documented ones."""
    return frozenset({"comment"}) if switches.status_comment else frozenset()


def move_on_its_own(
    record: LeadRecord, switches: EvolutionSwitches, aliases: Mapping[str, str] | None = None
) -> None:
    """Avito sets the new status itself right after the status it follows (the partner never
    has to send it), so the partner sees it only as `currentStatus` and in the read-back.

    `aliases` maps a recorded status name to the name it goes by now (a renamed status), so
    the new status still follows its anchor after a rename."""
    aliases = aliases or {}
    after = aliases.get(switches.new_status_after, switches.new_status_after)
    if not switches.new_status or record.status_as(aliases) != after:
        return
    now = rfc3339(utc_now())
    key = f"avito:{record.lead_id}:{switches.new_status_name}"
    record.history.append(HistoryEntry(switches.new_status_name, now, now, key))


def evolve_lead(lead: Mapping[str, Any], switches: EvolutionSwitches) -> dict[str, Any]:
    evolved = dict(lead)
    device = evolved["device"] = dict(lead.get("device") or {})
    if switches.renamed_enums:
        _rename(device)
    if switches.extra_fields:
        _add_extras(evolved, device)
    return evolved


def evolve_answer(row: Mapping[str, Any], switches: EvolutionSwitches) -> dict[str, Any]:
    if not switches.extra_fields:
        return dict(row)
    extras = {"statusVersion": 2, "partnerVisible": row.get("result") == "success"}
    return {**row, **extras}


def _rename(device: dict[str, Any]) -> None:
    for field, renames in RENAMED_ENUMS.items():
        value = device.get(field)
        if isinstance(value, str) and value in renames:
            device[field] = renames[value]


def _add_extras(lead: dict[str, Any], device: dict[str, Any]) -> None:
    # Derived from the id rather than drawn from the lead factory's generator, so flipping the
    # switch never changes the leads generated after it.
    salt = zlib.crc32(str(lead.get("id")).encode())
    lead.setdefault("inspectionSlot", {"from": None, "to": None, "kind": "courier"})
    lead.setdefault("promo", {"code": f"TRADE{salt % 90 + 10}", "bonusPercent": salt % 3 * 5})
    lead.setdefault("sellerRating", round(3.5 + salt % 16 / 10, 1))
    device.setdefault("esim", salt % 2 == 0)
    device.setdefault("activationLock", {"checked": True, "locked": False})
