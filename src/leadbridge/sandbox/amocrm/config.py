"""The simulated account's settings, and the records of tokens and traffic it keeps."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadbridge.sandbox.amocrm.faults import FaultProfile
from leadbridge.sandbox.amocrm.users import CITY_TEAMS, INTEGRATION_USER, UserSeed


@dataclass
class AmoSandboxConfig:
    subdomain: str = "leadbridge-demo"
    account_id: int = 31000001
    client_id: str = "amo-demo-client"
    client_secret: str = "amo-demo-secret"
    redirect_uri: str = "https://leadbridge.example/oauth/amocrm"
    integration_rps: int = 7
    account_rps: int = 50
    webhook_timeout_s: float = 2.0
    seed: int = 0
    block_after_429s: int = 10  # rate-limit violations within block_window_s that block the API
    block_window_s: float = 60.0
    block_duration_s: float = 15 * 60.0
    faults: FaultProfile = field(default_factory=FaultProfile)
    # The admin who made the private integration: its tokens act as this user (reference §1.4).
    integration_user: UserSeed = INTEGRATION_USER
    users: tuple[UserSeed, ...] = CITY_TEAMS  # the account's people, each in a city's group


@dataclass
class Token:
    lineage: str  # every access token of one grant chain shares a rate bucket
    kind: str  # "integration" or "person"
    expires_at: float
    user_id: int = 0  # whose rights the token carries; the default responsible user of writes


@dataclass
class Stats:
    requests_total: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: {"integration": 0, "person": 0})
    rate_limited_total: int = 0
    complex_batches: list[int] = field(default_factory=list)
    max_integration_rps_observed: int = 0
    token_grants: dict[str, int] = field(default_factory=dict)  # grant_type → requests
