"""`leadbridge db …` (migrations) and `leadbridge sandbox serve` (the simulators alone)."""

from __future__ import annotations

from typing import Annotated

import typer

from leadbridge.cli.common import configure_logs, fail, load_settings, run_async

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
sandbox_app = typer.Typer(
    help="The simulators of Avito, amoCRM and the alert channels, for rehearsal.",
    no_args_is_help=True,
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
    *,  # typer passes every option by name; keyword-only keeps that the only way to call it
    avito_port: Annotated[int, typer.Option(help="Port of the Avito simulator.")] = 8701,
    amocrm_port: Annotated[int, typer.Option(help="Port of the amoCRM simulator.")] = 8702,
    telegram_port: Annotated[
        int, typer.Option(help="Port of the Telegram Bot API simulator (and /sandbox/mail).")
    ] = 8703,
    smtp_port: Annotated[int, typer.Option(help="Port of the SMTP sink (STARTTLS).")] = 8704,
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
    """Run only the simulators, for rehearsing an integration.

    Avito, amoCRM, Telegram's Bot API and an SMTP server, all on 127.0.0.1; their base URLs and
    credentials (the SMTP certificate's file among them) are printed as one JSON line.
    """
    from leadbridge.sandbox.rehearsal import serve_simulators

    configure_logs("WARNING")
    run_async(
        serve_simulators(
            avito_port=avito_port,
            amocrm_port=amocrm_port,
            seed=seed,
            chaos_midway_s=chaos_midway_s,
            telegram_port=telegram_port,
            smtp_port=smtp_port,
        )
    )
