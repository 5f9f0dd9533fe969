"""`leadbridge db …` (migrations) and `leadbridge sandbox serve` (the simulators alone)."""

from __future__ import annotations

from typing import Annotated

import typer

from leadbridge.cli.common import configure_logs, fail, load_settings, run_async

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
sandbox_app = typer.Typer(
    help="The simulators of Avito and amoCRM, for rehearsal.", no_args_is_help=True
)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (SQLite or PostgreSQL, by LEADBRIDGE_DATABASE_URL)."""
    from leadbridge.store.migrate import DatabaseUnavailable, current_revision, upgrade

    settings = load_settings()
    try:
        upgrade(settings.database_url)
    except DatabaseUnavailable as error:
        fail(str(error))
    except Exception as error:
        fail(f"migration failed: {error}")
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

    configure_logs("WARNING")
    run_async(
        serve_simulators(
            avito_port=avito_port, amocrm_port=amocrm_port, seed=seed, chaos_midway_s=chaos_midway_s
        )
    )
