"""Where an outbox item stands on its way to Avito.

A `StrEnum`: the values are what the `outbox.state` column stores, and a member equals its value,
so rows read back as plain strings compare with the members directly.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting for its turn, or for its backoff after a failed send
    SENDING = "sending"  # claimed by a relay under a lease
    SENT = "sent"  # Avito acknowledged it
    PARKED = "parked"  # held for a person: Avito refused it for good, or a person parked it
    SKIPPED = "skipped"  # given up by a person, so the lead's later statuses may go
