"""Avito's lead payload → the domain's BuyoutRequest, read as the mapping says (avito/mapping.py,
`src/leadbridge/avito_mapping.toml`): no name of Avito's lead fields is written here.

Tolerant by design: Avito adds fields and enum values without notice. Unknown fields are kept
(`unknown_fields`, and the raw payload is stored whole), unknown enum values pass through as
text, and only a missing required field (id, device model, buyout price) rejects the payload —
or a value that cannot be true and that storing would choke on: a price beyond
`MAX_PRICE_KOPECKS`, an integer id beyond 64 bits, a text longer than its column. These limits
are leadbridge's, not the mapping's. Messages name the path the value was found at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadbridge.avito.mapping import FieldMapping, LeadMapping, Source
from leadbridge.avito.mapping_in_force import active_mapping
from leadbridge.avito.readers import READERS, TOO_BIG
from leadbridge.domain.lead import BuyoutRequest, DeviceCard, Seller

# 10 million rubles: no used phone or tablet is bought out for more (a new top iPad Pro is a
# fraction of it), so a larger price is a broken payload, not a deal. Far inside a signed 64-bit
# integer, which the kopecks are stored in.
MAX_PRICE_KOPECKS = 10_000_000 * 100
MAX_ID = 2**63 - 1  # ids are stored and sent as signed 64-bit integers
# The highest value of each whole-number field (all start at 0).
MAX_INT = {
    "buyout_price": MAX_PRICE_KOPECKS,
    "seller_price": MAX_PRICE_KOPECKS,
    "item_id": MAX_ID,
    "seller_user_id": MAX_ID,
    "device_battery_health": MAX_ID,
}
# The lengths of the columns these fields are stored in (PostgreSQL refuses anything longer).
MAX_TEXT = {"id": 64, "offer_type": 32, "device_model": 128, "seller_name": 256, "city": 128}


class PayloadError(ValueError):
    """The payload lacks what a deal cannot be made without, or holds a value that cannot be.

    `where` names the place without any value of the payload (our field, or a part of the
    envelope): what a person sees as the contract drift, never personal data."""

    def __init__(self, message: str, where: str = "payload") -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True, slots=True)
class Reading:
    """How one field of ours was read: the path used (None: found nowhere), the value found there
    and the value it became; `error` when the payload is refused because of it."""

    name: str
    path: str | None
    found: Any
    value: Any
    error: str | None = None


def parse_lead(raw: Mapping[str, Any], mapping: LeadMapping | None = None) -> BuyoutRequest:
    """The lead in `raw`, read as `mapping` says (default: the mapping installed at start)."""
    mapping = mapping or active_mapping()
    if not isinstance(raw, Mapping):
        raise PayloadError("lead payload must be a JSON object", "lead")
    values = {}
    for mapped in mapping.fields:
        value = _plain_value(raw, mapped)
        if value is _CAREFUL:
            try:
                value = _read(raw, mapped).value
            except _Refused as refused:
                reason = refused.reading.error or "unreadable"
                raise PayloadError(reason, f"lead.{refused.reading.name}") from None
        values[mapped.name] = value
    return _request(values, _unknown_fields(raw, mapping.known), _unknown_values(values, mapping))


def _unknown_values(values: Mapping[str, Any], mapping: LeadMapping) -> dict[str, str]:
    """The values of enum fields — those the mapping gives aliases, which list Avito's values —
    that no alias names: passed through as sent, and shown to a person as drift."""
    unknown = {}
    for mapped in mapping.enums:
        value = values.get(mapped.name)
        if isinstance(value, str) and value != mapped.default and value not in mapped.known_values:
            unknown[mapped.name] = value
    return unknown


_CAREFUL = object()


def _plain_value(raw: Mapping[str, Any], mapped: FieldMapping) -> Any:
    """The field's value when the payload is plain — JSON objects on the way, a value within
    leadbridge's limits — else _CAREFUL: `_read` then finds what is wrong and says so. Every lead
    is read here, so nothing is built for a message that is not needed (this path is 2–3 times
    faster than `_read`, measured by bench/avito_replay.py)."""
    for source in mapped.sources:
        node: Any = raw
        for part in source.path:
            if type(node) is not dict:  # what json.loads gives; anything else, the careful way
                return _CAREFUL
            node = node.get(part)
            if node is None:
                break
        else:
            if node == "":
                continue
            value = READERS[source.transform](node)
            if value is None:
                return _CAREFUL if mapped.required else mapped.default
            if mapped.type == "int" and not 0 <= value <= MAX_INT.get(mapped.name, MAX_ID):
                return _CAREFUL
            if type(value) is str:
                value = mapped.aliases.get(value, value)
                if len(value) > MAX_TEXT.get(mapped.name, len(value)):
                    return _CAREFUL
            return value
    return _CAREFUL if mapped.required else mapped.default


def explain(raw: object, mapping: LeadMapping) -> tuple[list[Reading], dict[str, Any]]:
    """Every field as `mapping` reads it, refusals included, and the payload's unknown fields:
    what `leadbridge avito check` prints. Whether a lead can be made is `parse_lead`'s answer."""
    if not isinstance(raw, Mapping):
        return [], {}
    readings = []
    for mapped in mapping.fields:
        try:
            readings.append(_read(raw, mapped))
        except _Refused as refused:
            readings.append(refused.reading)
    return readings, _unknown_fields(raw, mapping.known)


def _request(
    values: Mapping[str, Any], unknown: dict[str, Any], unknown_values: dict[str, str] | None = None
) -> BuyoutRequest:
    """The fields the mapping leaves out are empty (the mapping's check saw to it that those a
    lead cannot be without are there)."""
    get = values.get
    return BuyoutRequest(
        avito_lead_id=values["id"],
        offer_type=values["offer_type"],
        created_at=get("created_at") or datetime.now(UTC),
        device=DeviceCard(
            category=values["device_category"],
            vendor=values["device_vendor"],
            model=values["device_model"],
            memory=get("device_memory"),
            color=get("device_color"),
            ram=get("device_ram"),
            battery_health=get("device_battery_health"),
            imei=get("device_imei"),
            kit=get("device_kit") or (),
            condition=get("device_condition"),
            device_history=get("device_history"),
            screen_condition=get("device_screen_condition"),
            case_condition=get("device_case_condition"),
            defects=get("device_defects") or {},
        ),
        seller=Seller(
            name=values["seller_name"],
            phone=get("seller_phone"),
            avito_user_id=get("seller_user_id"),
        ),
        city=get("city"),
        item_id=get("item_id"),
        item_url=get("item_url"),
        buyout_price_kopecks=values["buyout_price"],
        seller_price_kopecks=get("seller_price"),
        unknown_fields=unknown,
        unknown_values=unknown_values or {},
    )


class _Refused(Exception):
    def __init__(self, reading: Reading) -> None:
        super().__init__(reading.error)
        self.reading = reading


class _NotAnObject(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


_MISSING = object()


def _lookup(raw: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path`, or _MISSING. Something on the way that is no object (and not empty)
    is an error: the payload is broken there."""
    node: Any = raw
    for depth, part in enumerate(path):
        if not isinstance(node, Mapping):
            if not node:
                return _MISSING
            raise _NotAnObject(".".join(path[:depth]))
        node = node.get(part, _MISSING)
        if node is _MISSING:
            return _MISSING
    return node


def _read(raw: Mapping[str, Any], mapped: FieldMapping) -> Reading:
    """The field at the first of its paths where the payload has a value."""
    broken: str | None = None
    for source in mapped.sources:
        try:
            found = _lookup(raw, source.path)
        except _NotAnObject as error:
            broken = broken or error.path
            continue
        if found is not _MISSING and found is not None and found != "":
            return _checked(mapped, source, found)
    if broken is not None:
        message = f"lead payload field {broken!r} must be an object"
        raise _Refused(Reading(mapped.name, broken, None, None, message))
    if mapped.required:
        message = f"lead payload has no {mapped.name.replace('_', ' ')}"
        raise _Refused(Reading(mapped.name, None, None, None, message))
    return Reading(mapped.name, None, None, mapped.default)


def _checked(mapped: FieldMapping, source: Source, found: Any) -> Reading:
    """The value found at `source`, transformed, within leadbridge's limits."""
    path = source.dotted
    value = READERS[source.transform](found)
    if isinstance(value, str):
        value = mapped.aliases.get(value, value)

    def refused(problem: str) -> _Refused:
        message = f"lead payload field {path!r} is {problem}"
        return _Refused(Reading(mapped.name, path, found, value, message))

    if mapped.type == "int":
        high = MAX_INT.get(mapped.name, MAX_ID)
        shown = _shown(found)
        within = value is not None and 0 <= value <= high
        if source.transform == "rubles_to_kopecks":
            known = value is not None and abs(value) < TOO_BIG
            shown += f" rubles ({value} kopecks)" if known else " rubles"
        if mapped.required and not within:
            what = "a whole number of kopecks" if high == MAX_PRICE_KOPECKS else "a whole number"
            note = " (10 million rubles)" if high == MAX_PRICE_KOPECKS else ""
            raise refused(f"{shown}: must be {what} from 0 to {high}{note}")
        if value is not None and not within:
            raise refused(f"{shown}: allowed 0…{high}")
    if value is None:
        if mapped.required:
            message = f"lead payload has no {mapped.name.replace('_', ' ')}"
            raise _Refused(Reading(mapped.name, path, found, None, message))
        value = mapped.default
    limit = MAX_TEXT.get(mapped.name)
    if limit is not None and isinstance(value, str) and len(value) > limit:
        raise refused(f"{len(value)} characters long: at most {limit} are allowed")
    return Reading(mapped.name, path, found, value)


def _unknown_fields(raw: Mapping[str, Any], known: Mapping[str, Any]) -> dict[str, Any]:
    """Fields no path of the mapping reaches; those inside an object the mapping reads into are
    kept under its name ("device": {…})."""
    unknown: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            unknown[key] = value
        elif known[key] is not None and isinstance(value, Mapping):
            extras = _unknown_fields(value, known[key])
            if extras:
                unknown[key] = extras
    return unknown


# The transforms a mapping may name (avito/mapping.py TRANSFORMS): the value found → ours, or
def _shown(value: Any) -> str:
    """The offending value for a message, cut short: it may be a number of a thousand digits."""
    if isinstance(value, int) and value.bit_length() > 256:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = str(value) if isinstance(value, int) else repr(value)
    return text if len(text) <= 40 else f"{text[:37]}… ({len(text)} characters)"
