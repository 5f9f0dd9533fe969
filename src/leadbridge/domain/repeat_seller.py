"""Repeat sellers: a request whose seller's phone or device's IMEI matches an earlier request
that already has its deal, within a window of days before it (a setting; 0 turns it off).

The deal is tagged «повтор» and its card note links the earlier deal, so that the manager who
calls knows the seller (or the device) has been through the store's hands already.

Only earlier requests that have their deal count: a link needs a deal id. A request matching a
later one (Avito's feed out of order) is not a repeat of it: "earlier" is Avito's creation time.
When several earlier deals match, the most recent one is linked: its own note links the one
before, so the manager can walk the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A real IMEI has 15 digits (14 and a check digit), an IMEISV 16; sellers write them with
# spaces or dashes, and some write "нет" or "000…": such values must not link strangers.
IMEI_DIGITS = range(14, 17)


class Match(StrEnum):
    """What the earlier request shares with this one (stored, and said in the note)."""

    PHONE = "phone"
    IMEI = "imei"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class Request:
    """A request about to become a deal."""

    lead_id: int
    phone: str | None  # normalised as stored (E.164)
    imei: str | None  # normalised by `normalised_imei`
    requested_at: datetime  # its creation on Avito


@dataclass(frozen=True, slots=True)
class EarlierDeal:
    """An earlier request and the amoCRM deal made of it."""

    lead_id: int
    amo_lead_id: int
    phone: str | None
    imei: str | None
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class Repeat:
    """The deal a request repeats: what its note links."""

    amo_lead_id: int
    requested_at: datetime
    match: Match


def normalised_imei(value: str | None) -> str | None:
    """The IMEI's digits, or None when the value cannot be one (too short, too long, one digit
    repeated): the key requests are matched by, so junk must not match junk."""
    digits = "".join(char for char in value or "" if char.isdigit())
    if len(digits) not in IMEI_DIGITS or len(set(digits)) == 1:
        return None
    return digits


def window_start(requests: Iterable[Request], window: timedelta) -> datetime | None:
    """The earliest creation time any of the requests can match, or None when none can (no
    request, or the window is off): the store reads earlier deals from there on."""
    times = [request.requested_at for request in requests]
    if window <= timedelta(0) or not times:
        return None
    return min(times) - window


def find_repeats(
    requests: Sequence[Request], earlier: Iterable[EarlierDeal], window: timedelta
) -> Mapping[int, Repeat]:
    """Lead id → the deal it repeats, for the requests that repeat one."""
    if window <= timedelta(0):
        return {}
    candidates = sorted(earlier, key=lambda deal: (deal.requested_at, deal.lead_id), reverse=True)
    found: dict[int, Repeat] = {}
    for request in requests:
        for deal in candidates:  # the most recent first
            match = _match(request, deal)
            if match is None or deal.lead_id == request.lead_id:
                continue
            if request.requested_at - window <= deal.requested_at <= request.requested_at:
                found[request.lead_id] = Repeat(deal.amo_lead_id, deal.requested_at, match)
                break
    return found


def _match(request: Request, deal: EarlierDeal) -> Match | None:
    phone = request.phone is not None and request.phone == deal.phone
    imei = request.imei is not None and request.imei == deal.imei
    if phone and imei:
        return Match.BOTH
    if phone:
        return Match.PHONE
    return Match.IMEI if imei else None
