"""`--chaos`: both simulators misbehave the way the real partners do on a bad day.

Server errors and timeouts on writes, latency, bursts of 429, webhooks duplicated, reordered and
dropped, access tokens expiring mid-run, and Avito shipping its additive schema changes halfway
through. The bridge must still hold every invariant of `sandbox/invariants.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses

from leadbridge.sandbox.amocrm import AmoSandbox
from leadbridge.sandbox.amocrm.faults import FaultProfile as AmoFaults
from leadbridge.sandbox.avito import AvitoSandbox

EVOLUTION = {"extra_fields": True, "new_status": True, "renamed_enums": True}
# The Nth request to Avito expires every Avito token: late enough that the bridge is running.
AVITO_TOKEN_EXPIRY_AT_REQUEST = 40


def amocrm_faults(seed: int) -> AmoFaults:
    return AmoFaults(
        seed=seed,
        write_5xx_probability=0.08,
        write_504_probability=0.04,
        latency_min_s=0.0,
        latency_max_s=0.05,
        burst_429_probability=0.02,
        burst_429_length=3,
        webhook_drop_probability=0.10,
        webhook_duplicate_probability=0.20,
        webhook_reorder_probability=0.20,
        webhook_reorder_delay_s=0.3,
    )


def turn_on(avito: AvitoSandbox, amocrm: AmoSandbox, seed: int) -> None:
    """The fault profile of both simulators, from now on."""
    amocrm.faults.configure(amocrm_faults(seed))
    avito.set_faults(
        error_rate=0.12,
        latency_s=0.01,
        latency_jitter_s=0.05,
        burst_429_probability=0.03,
        burst_429_length=3,
        apply_lost_answer_rate=0.05,
        webhook_duplicate_probability=0.20,
        webhook_reorder_probability=0.20,
        webhook_reorder_hold_s=0.3,
        expire_tokens_at_request=AVITO_TOKEN_EXPIRY_AT_REQUEST,
    )


def expire_amocrm_tokens(amocrm: AmoSandbox) -> None:
    """Every integration access token expires now: the bridge must refresh and go on."""
    for token in amocrm.tokens.values():
        if token.kind == "integration":
            token.expires_at = 0.0


def midway(avito: AvitoSandbox, amocrm: AmoSandbox) -> None:
    """Halfway through a run: Avito's schema evolves and amoCRM's access tokens expire."""
    avito.set_evolution(**EVOLUTION)
    expire_amocrm_tokens(amocrm)


async def midway_after(avito: AvitoSandbox, amocrm: AmoSandbox, seconds: float) -> None:
    await asyncio.sleep(seconds)
    midway(avito, amocrm)


def injected(avito: AvitoSandbox, amocrm: AmoSandbox) -> dict[str, object]:
    """What the simulators did wrong, for the demo's summary."""
    return {
        "avito": avito.faults.to_json(),
        "avito_webhooks": dataclasses.asdict(avito.webhooks.counters),
        "amocrm": dict(amocrm.faults.injected),
    }


def calm(avito: AvitoSandbox) -> None:
    """After the run: Avito answers the settlement request as on an ordinary day. Finance settles
    a week later, not during the bad day; a 503 on that one request would fail the demo's check
    without saying anything about the bridge."""
    avito.set_faults(
        error_rate=0.0,
        burst_429_probability=0.0,
        apply_lost_answer_rate=0.0,
        expire_tokens_at_request=None,
    )
