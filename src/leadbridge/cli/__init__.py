"""The `leadbridge` command: `app` gathers the command groups, one module each; what a command
does lives in its package, the modules here only parse, call and print.

Commands import their machinery lazily: `--help` stays fast and the sandbox loads only for the
demo and the simulators.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from leadbridge.cli import (
    alerts,
    avito,
    crm,
    database,
    doctor,
    outbox,
    privacy,
    processes,
    security,
)
from leadbridge.cli.common import fail
from leadbridge.cli.settlement import settle

app = typer.Typer(
    help="leadbridge: Avito partner buyout requests → amoCRM deals, and deal stages back to "
    "Avito as ordered, rate-limited statuses.\n\nConfiguration: environment variables "
    "LEADBRIDGE_* (nested with __, e.g. LEADBRIDGE_AMOCRM__BASE_URL) over an optional TOML "
    "file given by --config or LEADBRIDGE_CONFIG.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(crm.auth_app, name="auth")
app.add_typer(database.db_app, name="db")
app.add_typer(database.sandbox_app, name="sandbox")
for command in (
    settle,
    processes.demo,
    processes.run,
    processes.web,
    processes.worker,
    crm.setup,
    crm.reconcile,
    crm.stats,
    doctor.doctor,
):
    app.command()(command)
app.add_typer(security.users_app, name="users")
app.add_typer(security.keys_app, name="keys")
app.add_typer(avito.avito_app, name="avito")
app.add_typer(alerts.alerts_app, name="alerts")
app.add_typer(privacy.privacy_app, name="privacy")


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML settings file (same keys as the environment)."),
    ] = None,
) -> None:
    if config is not None:
        if not config.is_file():
            fail(f"no such config file: {config}")
        os.environ["LEADBRIDGE_CONFIG"] = str(config)


__all__ = ["app"]
