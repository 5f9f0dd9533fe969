"""A seller changing or cancelling a request on Avito (docs/avito-partner-api.md §5.4): the lead's
payload edited, or its status set to the cancellation by Avito itself; either way a change row
in the feed and a webhook event, both carrying the change's id and the lead as it now stands."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from leadbridge.sandbox.avito.clock import rfc3339, utc_now
from leadbridge.sandbox.avito.state import HistoryEntry, LeadBook, LeadRecord
from leadbridge.sandbox.avito.transitions import StatusDictionary
from leadbridge.sandbox.avito.webhooks import WebhookDispatcher

UPDATED, WITHDRAWN = "lead.updated", "lead.withdrawn"
# What Avito answers a status item of a withdrawn lead, beside `forbidden` (section 7).
WITHDRAWN_CODE = "lead_withdrawn"
WITHDRAWN_MESSAGE = "lead withdrawn by the seller"
WITHDRAWAL_REASON = "Продавец отменил заявку"
NESTED = ("device", "seller", "location", "offer", "contacts")  # objects an edit merges into


class ChangeRefused(ValueError):
    """The lead is unknown (`missing`), or in a state a seller can no longer change."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


class SellerDesk:
    """What a seller may do to a request after sending it."""

    def __init__(self, book: LeadBook, webhooks: WebhookDispatcher) -> None:
        self.book, self.webhooks = book, webhooks

    def update(
        self, lead_id: str, edit: Mapping[str, Any] | None, statuses: StatusDictionary
    ) -> dict[str, Any]:
        """Apply `edit` (top-level fields replaced, the nested objects merged; none: the buyout
        price lowered by 5 %) and announce it; the change's feed row."""
        record = self._changeable(lead_id, statuses)
        payload = copy.deepcopy(record.payload)
        for key, value in (edit or _lower_price(payload)).items():
            if key in NESTED and isinstance(value, Mapping) and isinstance(payload.get(key), dict):
                payload[key] = {**payload[key], **value}
            elif key != "id":  # the id names the lead: it cannot change
                payload[key] = value
        record.payload = payload
        record.edits += 1
        return self._announce(record, UPDATED)

    def withdraw(self, lead_id: str, statuses: StatusDictionary) -> dict[str, Any]:
        """The seller cancels: Avito sets the cancellation itself and applies nothing more."""
        record = self._changeable(lead_id, statuses)
        cancelled = statuses.seller_cancelled
        now = rfc3339(utc_now())
        record.history.append(
            HistoryEntry(
                status=cancelled,
                occurred_at=now,
                applied_at=now,
                idempotency_key=f"avito:{record.lead_id}:{cancelled}",
                reason=WITHDRAWAL_REASON,
            )
        )
        record.withdrawn = True
        self.book.withdrawn_total += 1
        return self._announce(record, WITHDRAWN)

    def _changeable(self, lead_id: str, statuses: StatusDictionary) -> LeadRecord:
        record = self.book.get(lead_id)
        if record is None:
            raise ChangeRefused(f"lead {lead_id!r} not found", missing=True)
        if record.withdrawn or statuses.is_terminal(record.status):
            raise ChangeRefused(f"lead {lead_id!r} is {record.status}: the seller cannot change it")
        return record

    def _announce(self, record: LeadRecord, event_type: str) -> dict[str, Any]:
        change_id, changed_at = f"c-{uuid.uuid4().hex[:12]}", rfc3339(utc_now())
        lead = copy.deepcopy(record.payload)
        row = self.book.add_change(event_type, change_id, changed_at, lead)
        self.webhooks.publish(lead, event_type, {"changeId": change_id, "changedAt": changed_at})
        return row.feed_row()


def _lower_price(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The usual edit: the seller asks 5 % less, in whole rubles, wherever the price lives."""
    price = payload.get("buyoutPrice")
    if isinstance(price, int):
        return {"buyoutPrice": max(100, price * 95 // 100 // 100 * 100)}
    offer = payload.get("offer")
    if isinstance(offer, Mapping) and isinstance(offer.get("price"), int | float):
        return {"offer": {"price": max(1, int(offer["price"] * 0.95))}}
    return {}
