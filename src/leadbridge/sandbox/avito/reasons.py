"""The dictionary of reason codes for declining and withdrawing a deal.

`GET /partner/buyout/v1/dictionaries/reasons` serves it at all times, so a client can learn the
codes before the `reason_codes` switch makes them required on `rejected` and `cancelled` items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

REJECTED = "rejected"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Reason:
    code: str
    statuses: tuple[str, ...]  # the statuses this code may accompany
    title: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "statuses": list(self.statuses), "title": self.title}


REASONS: tuple[Reason, ...] = (
    Reason("device_mismatch", (REJECTED,), "Устройство не соответствует описанию"),
    Reason("activation_lock", (REJECTED,), "Устройство привязано к чужому Apple ID"),
    Reason("device_defective", (REJECTED,), "Скрытые дефекты при осмотре"),
    Reason("seller_unreachable", (REJECTED,), "Не удалось связаться с продавцом"),
    Reason("outside_service_area", (REJECTED,), "Город вне зоны выкупа"),
    Reason("seller_changed_mind", (CANCELLED,), "Продавец передумал"),
    Reason("sold_elsewhere", (CANCELLED,), "Продавец продал устройство в другом месте"),
    Reason("price_not_accepted", (REJECTED, CANCELLED), "Не сошлись в цене"),
    Reason("seller_no_show", (CANCELLED,), "Продавец не пришёл на встречу"),
    Reason("duplicate_request", (REJECTED, CANCELLED), "Повторная заявка"),
)


def reasons_named(rename: Callable[[str], str]) -> tuple[Reason, ...]:
    """The dictionary with its status names as the status dictionary in force calls them."""
    return tuple(
        Reason(reason.code, tuple(map(rename, reason.statuses)), reason.title) for reason in REASONS
    )


def codes_by_status(reasons: Iterable[Reason], statuses: Iterable[str]) -> dict[str, list[str]]:
    """For each of `statuses`, the codes that may accompany it, in dictionary order."""
    listed = tuple(reasons)
    return {
        status: [reason.code for reason in listed if status in reason.statuses]
        for status in statuses
    }
