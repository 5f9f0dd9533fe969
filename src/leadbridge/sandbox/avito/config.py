"""Settings of the Avito partner sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadbridge.sandbox.avito.evolution import EvolutionSwitches
from leadbridge.sandbox.avito.faults import FaultProfile
from leadbridge.sandbox.avito.settlement import CommissionRule
from leadbridge.sandbox.avito.transitions import StatusDictionary

DEFAULT_METHOD_RPS: dict[str, int] = {
    "token": 1,
    "leads_get": 5,
    "status_apply": 5,
    "status_get": 10,
    "webhook": 2,
    "settlement": 1,
    "dictionaries": 1,
}


def _default_method_rps() -> dict[str, int]:
    return dict(DEFAULT_METHOD_RPS)


@dataclass
class AvitoSandboxConfig:
    client_id: str = "avito-demo-client"
    client_secret: str = "avito-demo-secret"
    token_ttl_s: float = 86400.0
    method_rps: dict[str, int] = field(default_factory=_default_method_rps)
    rate_headers_absent_probability: float = 0.3
    seed: int = 0
    statuses: StatusDictionary = field(default_factory=StatusDictionary)
    webhook_ack_timeout_s: float = 2.0
    webhook_max_attempts: int = 10
    webhook_duplicate_probability: float = 0.0
    evolution: EvolutionSwitches = field(default_factory=EvolutionSwitches)
    faults: FaultProfile = field(default_factory=FaultProfile)
    commission: CommissionRule = field(default_factory=CommissionRule)
