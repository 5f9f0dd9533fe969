"""`leadbridge alerts …`: the incidents the alert rules opened, and a test of a channel."""

from __future__ import annotations

from typing import Annotated

import typer

from leadbridge.cli.common import fail, load_settings, run_async

alerts_app = typer.Typer(
    help="Alerts: the incidents the rules opened (open ones first), and a test message through "
    "a channel (telegram, email or webhook) set up in the alerts settings.",
    no_args_is_help=True,
)


@alerts_app.command("list")
def alerts_list(
    limit: Annotated[int, typer.Option(min=1, help="At most this many incidents.")] = 50,
) -> None:
    """Incidents, open ones first, then the latest resolved; and any channel that is failing."""
    from leadbridge.alerts.commands import incident_lines

    for line in run_async(incident_lines(load_settings(), limit=limit)):
        print(line)


@alerts_app.command("test")
def alerts_test(
    channel: Annotated[str, typer.Argument(help="telegram, email or webhook.")],
) -> None:
    """Send one test message through CHANNEL; exit 2 with the reason if it cannot."""
    from leadbridge.alerts.commands import ChannelError, send_test

    try:
        print(run_async(send_test(load_settings(), channel)))
    except ChannelError as error:
        fail(str(error))
