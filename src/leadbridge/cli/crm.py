"""`leadbridge setup`, `auth amocrm`, `reconcile` and `stats`: amoCRM's side and what the
bridge knows of it."""

from __future__ import annotations

from typing import Annotated

import typer

from leadbridge.cli.common import configure_logs, fail, load_settings, run_async

auth_app = typer.Typer(help="Authorise leadbridge with the partners' APIs.", no_args_is_help=True)


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

    settings = load_settings(partners=("amocrm",))
    configure_logs(settings.log_level)
    changes = run_async(run_setup(settings, dry_run=dry_run))
    verb = "would" if dry_run else "did"
    for change in changes:
        print(f"{verb}: {change}")
    if not changes:
        print("amoCRM already matches the funnel: nothing to change")


def reconcile(
    fix: Annotated[
        bool, typer.Option("--fix", help="Queue the repairs that can be queued.")
    ] = False,
) -> None:
    """Compare amoCRM's deals, our records and Avito's statuses; print the drift found."""
    from leadbridge.sync.reconcile_command import reconcile as run_reconcile

    settings = load_settings()
    configure_logs("WARNING")
    for line in run_async(run_reconcile(settings, fix=fix)):
        print(line)


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
            fail(str(error))
    print(run_async(stats_report(load_settings(), week=week, as_json=as_json)))


@auth_app.command("amocrm")
def auth_amocrm(
    code: Annotated[
        str, typer.Option(help="Authorization code from the integration (valid 20 minutes).")
    ],
) -> None:
    """Exchange an amoCRM authorization code for tokens and store them in the database."""
    from leadbridge.sync.setup import exchange_amocrm_code

    settings = load_settings(partners=("amocrm",))
    configure_logs(settings.log_level)
    run_async(exchange_amocrm_code(settings, code))
    print("amoCRM authorised: tokens stored")
