"""Avito status apply at the configured limit: the fraction of the limit reached, and 429s.

    uv run python -m bench.avito_status_apply [--seconds 20] [--rps 5]

The client sends batches of 100 statuses back to back for `--seconds`; the ceiling is the
simulator's per-second limit on the status-apply method. Goal: ≥ 0.95 of it with zero 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime

from leadbridge.avito.client import AvitoClient
from leadbridge.avito.results import Outcome, StatusUpdate
from leadbridge.config import AvitoSettings
from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.web.server import serve

BATCH = 100


async def measure(seconds: float, rps: int) -> dict[str, float | int]:
    config = AvitoSandboxConfig(method_rps={"token": 1, "status_apply": rps, "leads_get": 5})
    app = create_avito_app(config)
    sandbox = app.state.sandbox
    leads = [sandbox.add_lead()["id"] for _ in range(BATCH)]
    async with serve(app) as url:
        client = AvitoClient(
            AvitoSettings(
                base_url=url,
                client_id=config.client_id,
                client_secret=config.client_secret,
                status_apply_rps=rps,
            )
        )
        requests, retryable = 0, 0
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            # Every request carries a fresh key per lead: all answers are business answers,
            # so the measure is the transport and the limiter, not the chain.
            updates = [
                StatusUpdate(lead, "accepted", datetime.now(UTC), f"{lead}:{requests}")
                for lead in leads
            ]
            results = await client.apply_statuses(updates)
            requests += 1
            retryable += sum(1 for r in results if r.outcome is Outcome.RETRYABLE) // BATCH
        elapsed = time.monotonic() - started
        await client.aclose()
    stats = sandbox.state_json()["stats"]
    achieved = requests / elapsed
    return {
        "limit_rps": rps,
        "achieved_rps": round(achieved, 3),
        "fraction_of_limit": round(achieved / rps, 3),
        "statuses_per_second": round(achieved * BATCH, 1),
        "http_429": int(stats["rate_limited"].get("status_apply", 0)),
        "max_rps_seen_by_server": int(stats["max_rps_observed"].get("status_apply", 0)),
        "seconds": round(elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rps", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.seconds, args.rps))))


if __name__ == "__main__":
    main()
