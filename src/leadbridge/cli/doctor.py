"""`leadbridge doctor`: is this set-up ready to go live? One line per check, in order, and the
exit status 0 only when every check passed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from leadbridge.cli.common import configure_logs, missing_credential, run_async, setting_error

if TYPE_CHECKING:
    from leadbridge.config import Settings
    from leadbridge.doctor.checks import Result


def doctor(
    send_test: Annotated[
        bool,
        typer.Option("--send-test", help="Send a test message to every alert channel."),
    ] = False,
) -> None:
    """Check, in order, that leadbridge can go live: configuration; database reachable and
    migrated; token keys; amoCRM token and account; amoCRM pipeline, stages, fields and loss
    reasons; amoCRM webhook; Avito token; Avito webhook; the public URL's /healthz; alert
    channels.

    Prints ✓ or ✗ and, for ✗, the fix. Changes nothing (but renews an expired amoCRM token, as
    the service would). Exits 1 when any check failed or could not run.
    """
    from leadbridge.doctor.checks import Outcome
    from leadbridge.doctor.run import examine

    # The checks' own lines say what went wrong; the clients' retry warnings would repeat it.
    configure_logs("ERROR")
    results = run_async(examine(_settings, send_test=send_test, report=_print))
    failed = sum(result.outcome is Outcome.FAILED for result in results)
    skipped = sum(result.outcome is Outcome.SKIPPED for result in results)
    if failed or skipped:
        print(f"{failed} failed, {skipped} skipped of {len(results)} checks")
        raise typer.Exit(1)
    print(f"all {len(results)} checks passed")


def _print(result: Result) -> None:
    print(result.line(), flush=True)


def _settings() -> Settings:
    """The settings as every command loads them, a problem raised as one line — but neither
    key resolved nor secret opened: that is the keys' check, and must not make a key file."""
    from pydantic import ValidationError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from leadbridge.avito.mapping_in_force import install_mapping
    from leadbridge.config import ConfigurationError, Settings

    try:
        settings = Settings()
        make_url(settings.database_url)
        _ = settings.funnel
        install_mapping(settings.avito)
    except ValidationError as error:
        raise ConfigurationError(setting_error(error)) from None
    except ArgumentError:
        raise ConfigurationError(
            "bad setting database_url: no database URL: write sqlite:///FILE or postgresql://…"
        ) from None
    for partner in ("amocrm", "avito"):
        missing = missing_credential(settings, partner)
        if missing:
            raise ConfigurationError(missing)
    return settings
