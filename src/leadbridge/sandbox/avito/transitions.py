"""The status dictionary and the transitions it allows."""

from __future__ import annotations

from dataclasses import dataclass, field


def _default_reversals() -> dict[str, str]:
    return {"returned": "bought_out"}


@dataclass(frozen=True)
class StatusDictionary:
    """Status names and rules; every name here is a setting, not a constant of the contract.

    `chain` must be walked one step at a time, starting with its first status. `exits` may
    follow any non-terminal status. A reversal may follow only the status it is keyed to.
    An optional status may follow the chain status it is keyed to, and is left for the chain
    status after that one: a lead may pass through it or skip it.
    """

    chain: tuple[str, ...] = (
        "accepted",
        "contacted",
        "price_agreed",
        "pickup_scheduled",
        "device_received",
        "bought_out",
    )
    exits: tuple[str, ...] = ("rejected", "cancelled")
    reversals: dict[str, str] = field(default_factory=_default_reversals)
    requires_price: frozenset[str] = frozenset({"price_agreed", "bought_out"})
    requires_reason: frozenset[str] = frozenset({"rejected", "cancelled"})
    optional: dict[str, str] = field(default_factory=dict)
    # The exit Avito sets itself when the seller cancels the request (a withdrawal).
    seller_cancelled: str = "cancelled"

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.chain, *self.optional, *self.exits, *self.reversals)

    @property
    def commission_status(self) -> str:
        """The chain's last status: reaching it makes the commission due."""
        return self.chain[-1]

    def _anchor(self, status: str) -> str:
        """The chain status that an optional status hangs off; a chain status is its own."""
        return self.optional.get(status, status)

    def is_known(self, status: str) -> bool:
        return status in self.names

    def is_terminal(self, status: str | None) -> bool:
        return status is not None and self._anchor(status) not in self.chain[:-1]

    def allowed_after(self, current: str | None) -> tuple[str, ...]:
        """The statuses that may be applied to a lead whose status is `current`."""
        if current is None:
            return self.chain[:1]
        if not self.is_terminal(current):
            following = self.chain[self.chain.index(self._anchor(current)) + 1]
            detours = tuple(status for status, after in self.optional.items() if after == current)
            return (*detours, following, *self.exits)
        return tuple(status for status, after in self.reversals.items() if after == current)

    def allows(self, current: str | None, status: str) -> bool:
        return status in self.allowed_after(current)
