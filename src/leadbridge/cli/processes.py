"""`leadbridge demo`, `run`, `web` and `worker`: the processes (assembled by
`leadbridge.processes`)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadbridge.cli.common import configure_logs, load_settings, run_async

if TYPE_CHECKING:
    from leadbridge.config import Settings
    from leadbridge.sandbox.demo_sims import DemoOptions

# The endless demo: a request every 6 s on average, a pace a person can follow; and, as the
# bridge spends about 0.4 s of CPU on a request's whole way, under a tenth of a core (measured
# by bench/demo_cpu.py; at 4 s it was 0.13).
DEFAULT_PACE_S = 6.0
LEADS_PACE_S = 0.5  # with --leads (no --check): two requests a second, as before


def demo(
    leads: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many requests are worked through.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            help="Full speed; exit 1 if any invariant fails. The last stdout line is JSON."
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="Dashboard port on 127.0.0.1.")] = 8080,
    seed: Annotated[int, typer.Option(help="Seed of the traffic and the managers.")] = 1,
    pace: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            metavar="SECONDS",
            help="Average seconds between new buyout requests: 6 in the endless demo, a pace "
            "a person can follow on the dashboard; 0.5 with --leads. Ignored with --check, "
            "which runs at full speed.",
        ),
    ] = None,
    *,
    chaos: Annotated[
        bool,
        typer.Option(
            help="The simulators misbehave: 5xx, timeouts, latency, 429 bursts, duplicated, "
            "reordered and dropped webhooks, expiring tokens, Avito's schema changing midway."
        ),
    ] = False,
    api_break: Annotated[
        bool,
        typer.Option(
            help="Avito ships a breaking API change halfway (fields moved, a status renamed, "
            "status apply moved to /v2/, reason codes required); the bridge quarantines what "
            "it cannot read, then an operator puts examples/avito-mapping-after-break.toml in "
            'force and replays. The JSON line gains "quarantined", "replayed" and "lost".',
        ),
    ] = False,
) -> None:
    """Run the whole product on the built-in Avito and amoCRM simulators.

    Buyout requests arrive from a simulated Avito, become deals in a simulated amoCRM, simulated
    managers work them through the funnel, and the statuses flow back to Avito. The dashboard is
    served on 127.0.0.1 while it runs. Without --leads it runs until Ctrl+C, which ends it with
    a summary of what was done (exit 0).
    """
    from leadbridge.sandbox.demo_port import PortBusy, ensure_port_free

    try:
        ensure_port_free(port)  # before the simulators, the database and the key file
        settings = load_settings()
        configure_logs("WARNING")
        if check and leads is None:
            leads = 200
        pace_s = pace or (DEFAULT_PACE_S if leads is None else LEADS_PACE_S)
        options = _demo_options(
            settings, leads=leads, check=check, port=port, seed=seed, pace_s=pace_s,
            chaos=chaos, api_break=api_break,
        )  # fmt: skip
        result = run_async(_demo(options))
    except PortBusy as busy:
        print(busy, file=sys.stderr)
        raise typer.Exit(2) from None
    if result.get("interrupted"):
        return  # stopped by the user: the summary is printed, there is nothing to judge
    print(json.dumps(result, ensure_ascii=False))
    if check and not result["ok"]:
        raise typer.Exit(1)


def _demo_options(
    settings: Settings,
    *,
    leads: int | None,
    check: bool,
    port: int,
    seed: int,
    pace_s: float,
    chaos: bool,
    api_break: bool,
) -> DemoOptions:
    from leadbridge.sandbox.demo_sims import DemoOptions

    return DemoOptions(
        leads=leads,
        check=check,
        port=port,
        seed=seed,
        database_url=settings.database_url,
        funnel_file=settings.funnel_file,
        leads_per_second=1000.0 if check else 1 / pace_s,
        time_scale=0.001 if check else 0.003,
        # Under --chaos and --api-break retries wait out their backoff: give them time.
        timeout_s=max(120.0, (leads or 0) * (4.0 if chaos or api_break else 1.0)),
        chaos=chaos,
        api_break=api_break,
    )


async def _demo(options: DemoOptions) -> dict[str, Any]:
    from leadbridge.sandbox.demo import run_demo
    from leadbridge.sandbox.demo_port import busy_port_as_such

    with busy_port_as_such(options.port):
        return await run_demo(options)


def run() -> None:
    """Run the bridge against the configured Avito and amoCRM accounts.

    Serves the webhook endpoints, the dashboard, /healthz and /metrics on the configured host
    and port, and stops gracefully on SIGTERM.
    """
    from leadbridge.processes import Roles, run_until_cancelled

    settings = load_settings(partners=("amocrm", "avito"))
    configure_logs(settings.log_level)
    run_async(run_until_cancelled(settings, Roles.ALL))


def web() -> None:
    """Serve only the HTTP side: webhook endpoints, dashboard, /healthz and /metrics.

    Runs no flow: start one or more `leadbridge worker` processes next to it (on the same
    database), or use `leadbridge run` for both in one process. Stops on SIGTERM.
    """
    from leadbridge.processes import Roles, run_until_cancelled

    settings = load_settings()
    configure_logs(settings.log_level)
    run_async(run_until_cancelled(settings, Roles.WEB))


def worker() -> None:
    """Run only the flows: new deals, stage changes, the relay to Avito and periodic jobs.

    Any number of workers may share one PostgreSQL database (on SQLite run one). On SIGTERM or
    SIGINT a worker stops claiming, lets in-flight sends finish within process.shutdown_grace_s
    and exits 0.
    """
    from leadbridge.processes import Roles, run_until_cancelled

    settings = load_settings(partners=("amocrm", "avito"))
    configure_logs(settings.log_level)
    run_async(run_until_cancelled(settings, Roles.FLOWS))
