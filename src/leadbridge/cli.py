"""The `leadbridge` command."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer
from pydantic import ValidationError

from leadbridge import logs, security_cli
from leadbridge.amocrm.client import AmoApiError
from leadbridge.amocrm.tokens import AmoAuthError
from leadbridge.avito.token import AvitoAuthError
from leadbridge.config import ConfigurationError, Settings
from leadbridge.security.settings_secrets import open_secrets
from leadbridge.settlement_cli import settle
from leadbridge.store import sealed
from leadbridge.sync.crm_layout import NotProvisioned

T = TypeVar("T")

app = typer.Typer(
    help="leadbridge: Avito partner buyout requests → amoCRM deals, and deal stages back to "
    "Avito as ordered, rate-limited statuses.\n\nConfiguration: environment variables "
    "LEADBRIDGE_* (nested with __, e.g. LEADBRIDGE_AMOCRM__BASE_URL) over an optional TOML "
    "file given by --config or LEADBRIDGE_CONFIG.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
auth_app = typer.Typer(help="Authorise leadbridge with the partners' APIs.", no_args_is_help=True)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
sandbox_app = typer.Typer(
    help="The simulators of Avito and amoCRM, for rehearsal.", no_args_is_help=True
)
outbox_app = typer.Typer(
    help="The statuses waiting for Avito: list them; retry, park, unpark, skip or replay one "
    "(every action is audited).",
    no_args_is_help=True,
)
app.add_typer(outbox_app, name="outbox")
app.add_typer(auth_app, name="auth")
app.add_typer(db_app, name="db")
app.add_typer(sandbox_app, name="sandbox")
app.command()(settle)
app.add_typer(security_cli.users_app, name="users")
app.add_typer(security_cli.keys_app, name="keys")


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML settings file (same keys as the environment)."),
    ] = None,
) -> None:
    if config is not None:
        if not config.is_file():
            _fail(f"no such config file: {config}")
        os.environ["LEADBRIDGE_CONFIG"] = str(config)


@app.command()
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
    rate: Annotated[
        float, typer.Option(min=0.01, help="New requests per second (ignored with --check).")
    ] = 2.0,
    *,
    chaos: Annotated[
        bool,
        typer.Option(
            help="The simulators misbehave: 5xx, timeouts, latency, 429 bursts, duplicated, "
            "reordered and dropped webhooks, expiring tokens, Avito's schema changing midway."
        ),
    ] = False,
) -> None:
    """Run the whole product on the built-in Avito and amoCRM simulators.

    Buyout requests arrive from a simulated Avito, become deals in a simulated amoCRM, simulated
    managers work them through the funnel, and the statuses flow back to Avito. The dashboard is
    served on 127.0.0.1 while it runs.
    """
    from leadbridge.sandbox.demo import DemoOptions, run_demo

    settings = _settings()
    logs.configure("WARNING")
    if check and leads is None:
        leads = 200
    options = DemoOptions(
        leads=leads,
        check=check,
        port=port,
        seed=seed,
        database_url=settings.database_url,
        funnel_file=settings.funnel_file,
        leads_per_second=1000.0 if check else rate,
        time_scale=0.001 if check else 0.003,
        # Under --chaos retries wait out their backoff: give the statuses time to arrive.
        timeout_s=max(120.0, (leads or 0) * (4.0 if chaos else 1.0)),
        chaos=chaos,
    )
    result = _run_async(run_demo(options))
    print(json.dumps(result, ensure_ascii=False))
    if check and not result["ok"]:
        raise typer.Exit(1)


@app.command()
def run() -> None:
    """Run the bridge against the configured Avito and amoCRM accounts.

    Serves the webhook endpoints, the dashboard, /healthz and /metrics on the configured host
    and port, and stops gracefully on SIGTERM.
    """
    from leadbridge.processes import Roles, run_until_cancelled

    settings = _settings()
    logs.configure(settings.log_level)
    _run_async(run_until_cancelled(settings, Roles.ALL))


@app.command()
def web() -> None:
    """Serve only the HTTP side: webhook endpoints, dashboard, /healthz and /metrics.

    Runs no flow: start one or more `leadbridge worker` processes next to it (on the same
    database), or use `leadbridge run` for both in one process. Stops on SIGTERM.
    """
    from leadbridge.processes import Roles, run_until_cancelled

    settings = _settings()
    logs.configure(settings.log_level)
    _run_async(run_until_cancelled(settings, Roles.WEB))


@app.command()
def worker() -> None:
    """Run only the flows: new deals, stage changes, the relay to Avito and periodic jobs.

    Any number of workers may share one PostgreSQL database (on SQLite run one). On SIGTERM or
    SIGINT a worker stops claiming, lets in-flight sends finish within process.shutdown_grace_s
    and exits 0.
    """
    from leadbridge.sync.runtime import run_worker

    settings = _settings()
    logs.configure(settings.log_level)
    _run_async(run_worker(settings))


@app.command()
def setup(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would change; change nothing.")
    ] = False,
) -> None:
    """Create or update the buyout pipeline, deal fields and webhook in amoCRM.

    Creates what is missing of the funnel's pipeline and stages, the device-card fields, the
    loss reasons and the webhook subscription, and records their ids. Running it twice changes
    nothing; a stage renamed in amoCRM is kept by its id.
    """
    from leadbridge.sync.setup import run_setup

    settings = _settings()
    logs.configure(settings.log_level)
    changes = _run_async(run_setup(settings, dry_run=dry_run))
    verb = "would" if dry_run else "did"
    for change in changes:
        print(f"{verb}: {change}")
    if not changes:
        print("amoCRM already matches the funnel: nothing to change")


@app.command()
def reconcile(
    fix: Annotated[
        bool, typer.Option("--fix", help="Queue the repairs that can be queued.")
    ] = False,
) -> None:
    """Compare amoCRM's deals, our records and Avito's statuses; print the drift found."""
    from leadbridge.sync.reconcile_command import reconcile as run_reconcile

    settings = _settings()
    logs.configure("WARNING")
    for line in _run_async(run_reconcile(settings, fix=fix)):
        print(line)


@app.command()
def stats(
    week: Annotated[
        str | None, typer.Option(help="Only requests created in this ISO week, e.g. 2026-W18.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
) -> None:
    """Conversion per stage, city, device model and week; time in stage; prices; loss reasons."""
    from leadbridge.domain.statistics import iso_week_range
    from leadbridge.sync.stats_command import stats_report

    if week is not None:
        try:
            iso_week_range(week)
        except ValueError as error:
            _fail(str(error))
    print(_run_async(stats_report(_settings(), week=week, as_json=as_json)))


@auth_app.command("amocrm")
def auth_amocrm(
    code: Annotated[
        str, typer.Option(help="Authorization code from the integration (valid 20 minutes).")
    ],
) -> None:
    """Exchange an amoCRM authorization code for tokens and store them in the database."""
    from leadbridge.sync.setup import exchange_amocrm_code

    settings = _settings()
    logs.configure(settings.log_level)
    _run_async(exchange_amocrm_code(settings, code))
    print("amoCRM authorised: tokens stored")


@outbox_app.command("list")
def outbox_list(
    state: Annotated[
        str | None, typer.Option(help="pending, sending, sent, parked or skipped.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many items.")] = 100,
) -> None:
    """List outbox items: id, state, Avito lead, status, attempts, last error."""
    from leadbridge.sync.outbox_commands import list_items

    for line in _run_async(list_items(_settings(), state=state, limit=limit)):
        print(line)


def _outbox_action(action: str, item_id: int, note: str | None) -> None:
    from leadbridge.store.operator_actions import ActionRefused
    from leadbridge.sync.outbox_commands import act

    actor = os.environ.get("USER") or "cli"
    try:
        print(_run_async(act(_settings(), item_id=item_id, action=action, actor=actor, note=note)))
    except ActionRefused as error:
        _fail(str(error))


NOTE = typer.Option(help="Why: kept in the audit trail.")


@outbox_app.command("retry")
def outbox_retry(item_id: int, note: Annotated[str | None, NOTE] = None) -> None:
    """Send a pending item now instead of after its backoff."""
    _outbox_action("retry", item_id, note)


@outbox_app.command("park")
def outbox_park(item_id: int, note: Annotated[str | None, NOTE] = None) -> None:
    """Hold a pending item, and with it its lead's later statuses."""
    _outbox_action("park", item_id, note)


@outbox_app.command("unpark")
def outbox_unpark(item_id: int, note: Annotated[str | None, NOTE] = None) -> None:
    """Send a parked item again, once its cause is fixed."""
    _outbox_action("unpark", item_id, note)


@outbox_app.command("skip")
def outbox_skip(item_id: int, note: Annotated[str | None, NOTE] = None) -> None:
    """Give up a parked item so that its lead's later statuses may go."""
    _outbox_action("skip", item_id, note)


@outbox_app.command("replay")
def outbox_replay(item_id: int, note: Annotated[str | None, NOTE] = None) -> None:
    """Send a parked or sent item again under a new idempotency key, as its lead's head."""
    _outbox_action("replay", item_id, note)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (SQLite or PostgreSQL, by LEADBRIDGE_DATABASE_URL)."""
    from leadbridge.store.migrate import current_revision, upgrade

    settings = _settings()
    try:
        upgrade(settings.database_url)
    except Exception as error:
        _fail(f"migration failed: {error}")
    print(f"database at revision {current_revision(settings.database_url)}")


@sandbox_app.command("serve")
def sandbox_serve(
    avito_port: Annotated[int, typer.Option(help="Port of the Avito simulator.")] = 8701,
    amocrm_port: Annotated[int, typer.Option(help="Port of the amoCRM simulator.")] = 8702,
    seed: Annotated[int, typer.Option(help="Seed of generated data.")] = 1,
    chaos_midway_s: Annotated[
        float | None,
        typer.Option(
            "--chaos-midway",
            min=0,
            help="Turn the fault profile on (as demo --chaos); Avito's schema changes and "
            "tokens expire this many seconds in.",
        ),
    ] = None,
) -> None:
    """Run only the two simulators, for rehearsing an integration.

    Both listen on 127.0.0.1; their base URLs and credentials are printed as one JSON line.
    """
    from leadbridge.sandbox.rehearsal import serve_simulators

    logs.configure("WARNING")
    _run_async(
        serve_simulators(
            avito_port=avito_port, amocrm_port=amocrm_port, seed=seed, chaos_midway_s=chaos_midway_s
        )
    )


def _settings() -> Settings:
    try:
        settings = Settings()
        _ = settings.funnel
        keys = key_file.resolve(settings)
        open_secrets(settings, sealed.use_keys(keys.setting))
        if keys.created:
            print(f"leadbridge: {key_file.CREATED.format(path=keys.file)}", file=sys.stderr)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        _fail(f"bad setting {where}: {first['msg']}")
    except (OSError, ValueError, KeyError) as error:
        _fail(f"bad configuration: {error}")
    return settings


def _run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        stopping: list[int] = []

        def stop() -> None:
            # Once: a terminal's Ctrl+C may reach us both directly and through a wrapper.
            if not stopping:
                stopping.append(1)
                task.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        return await coroutine

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        print("stopped", file=sys.stderr)
        raise typer.Exit(0) from None
    except (
        CliError,
        ConfigurationError,
        AmoAuthError,
        AmoApiError,
        AvitoAuthError,
        NotProvisioned,
    ) as error:
        _fail(str(error))
    except (OSError, httpx.HTTPError) as error:
        _fail(f"{type(error).__name__}: {error}")


def _fail(message: str) -> NoReturn:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"leadbridge: error: {first_line}", file=sys.stderr)
    raise typer.Exit(2)
