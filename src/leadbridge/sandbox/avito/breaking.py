"""Breaking-change switches: changes Avito might ship that no tolerant client survives unchanged.

They sit on `EvolutionSwitches` beside the additive ones and flip the same way
(`POST /sandbox/evolution`, or `{"breaking": true}` for all five). They exist to rehearse a break
the product must get through by quarantining what it cannot read, changing its mapping or
settings, and replaying — not by a release. Like the additive switches, each one shapes what is
produced from the moment it is flipped: leads created before keep their payload.

- `renamed_fields`: `buyoutPrice` (kopecks) becomes `offer.price` (rubles) with `offer.currency`,
  and `seller.phone` becomes `contacts.phone`.
- `id_as_int`: new leads get integer ids (`INTEGER_ID_BASE` + feed position).
- `status_renamed`: one status of the dictionary goes by another name (`StatusRename`).
- `apply_v2`: status apply moves to a /v2/ path; the v1 path answers 410 (`switched_routes.py`).
- `reason_codes`: `rejected` and `cancelled` items must carry a code of `reasons.REASONS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadbridge.sandbox.avito.evolution import EvolutionSwitches
from leadbridge.sandbox.avito.transitions import StatusDictionary

BREAKING_SWITCHES = ("renamed_fields", "id_as_int", "status_renamed", "apply_v2", "reason_codes")
# Far above the feed positions a sandbox reaches, and visibly unlike them in a demo.
INTEGER_ID_BASE = 900_000
REASON_CODE_FIELD = "reasonCode"


def all_breaking(on: bool) -> dict[str, bool]:
    """Every breaking switch set to `on`: what `{"breaking": on}` stands for."""
    return dict.fromkeys(BREAKING_SWITCHES, on)


def breaking_item_fields(switches: EvolutionSwitches) -> frozenset[str]:
    """Status-item fields the breaking switches make the sandbox read."""
    return frozenset({REASON_CODE_FIELD}) if switches.reason_codes else frozenset()


def break_lead(lead: Mapping[str, Any], switches: EvolutionSwitches) -> dict[str, Any]:
    """A new lead's payload as the breaking switches in force reshape it (the id aside: the
    sandbox allocates integer ids, since only it knows which are free)."""
    return move_renamed_fields(lead) if switches.renamed_fields else dict(lead)


def move_renamed_fields(lead: Mapping[str, Any]) -> dict[str, Any]:
    """`buyoutPrice` → `offer` in rubles, `seller.phone` → `contacts.phone`; keys keep their
    order, so the payload reads like the old one with two fields swapped."""
    moved: dict[str, Any] = {}
    for key, value in lead.items():
        if key == "buyoutPrice":
            moved["offer"] = {"price": rubles(value), "currency": "RUB"}
        elif key == "seller" and isinstance(value, Mapping):
            moved["seller"] = {name: field for name, field in value.items() if name != "phone"}
            moved["contacts"] = {"phone": value.get("phone")}
        else:
            moved[key] = value
    return moved


def rubles(kopecks: int) -> int | float:
    """Kopecks as a JSON number of rubles: whole rubles stay integers (41000, not 41000.0)."""
    whole, fraction = divmod(kopecks, 100)
    return whole if fraction == 0 else kopecks / 100


@dataclass(frozen=True)
class StatusRename:
    """The `status_renamed` switch applied to one status dictionary.

    A rename is `applicable` only when `old` is a status of the dictionary and `new` is not
    (a rename onto a name in use would merge two statuses). While it is `active`, `old` is
    unknown and `new` takes its place everywhere; a lead recorded at `old` is at `new`. Once
    it is off again, a lead that reached `new` is back at `old`, so no lead is ever left at a
    name the dictionary does not have.
    """

    old: str
    new: str
    applicable: bool
    active: bool

    @classmethod
    def of(cls, statuses: StatusDictionary, switches: EvolutionSwitches) -> StatusRename:
        old, new = switches.renamed_status_from, switches.renamed_status_to
        applicable = statuses.is_known(old) and not statuses.is_known(new)
        return cls(old, new, applicable, applicable and switches.status_renamed)

    def name(self, status: str) -> str:
        """The name a status of the un-renamed dictionary goes by now."""
        return self.new if self.active and status == self.old else status

    @property
    def aliases(self) -> dict[str, str]:
        """Recorded status name → the name a lead at it is treated as being at now."""
        if not self.applicable:
            return {}
        return {self.old: self.new} if self.active else {self.new: self.old}

    @property
    def retired(self) -> frozenset[str]:
        """Names an item may no longer use."""
        return frozenset({self.old}) if self.active else frozenset()

    def dictionary(self, statuses: StatusDictionary) -> StatusDictionary:
        if not self.active:
            return statuses
        name = self.name
        return dataclasses.replace(
            statuses,
            chain=tuple(map(name, statuses.chain)),
            exits=tuple(map(name, statuses.exits)),
            reversals={name(status): name(after) for status, after in statuses.reversals.items()},
            requires_price=frozenset(map(name, statuses.requires_price)),
            requires_reason=frozenset(map(name, statuses.requires_reason)),
            optional={name(status): name(after) for status, after in statuses.optional.items()},
        )
