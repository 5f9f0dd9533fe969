"""`leadbridge settle`: the weekly settlement with Avito, from the command line.

Only typer is imported here: the settlement machinery (SQL, openpyxl) loads when the command
runs, so `leadbridge --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadbridge.cli.common import fail, load_settings, run_async


def settle(
    week: Annotated[
        str | None,
        typer.Option(help="ISO week, e.g. 2026-W48 (Moscow time). Default: the last complete one."),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(help="Directory for settlement-<week>.xlsx and settlement-<week>.csv."),
    ] = None,
    freeze: Annotated[
        bool, typer.Option(help="Store the week's lines for good; later corrections go forward.")
    ] = False,
    diff: Annotated[
        bool, typer.Option(help="Fetch Avito's settlement of the week and diff it line by line.")
    ] = True,
    amocrm_prices: Annotated[
        bool,
        typer.Option(
            help="Price each deal as amoCRM has it now (a price corrected after the "
            "buyout changes the commission)."
        ),
    ] = True,
) -> None:
    """Settle one week with Avito: commission and storno lines, diff, export, freeze.

    Lines come from the statuses Avito acknowledged: one commission line per `bought_out`, one
    storno line per `returned`, in the week of the status's moment. A frozen week is shown as
    frozen; corrections made since appear as adjustment lines of the next open week.
    """
    from leadbridge.settlement import command  # the machinery is heavy: loaded when it runs

    settings = load_settings()
    try:
        request = command.request_for(week, export=export, freeze=freeze)
        result = run_async(command.run(settings, request, diff=diff, prices=amocrm_prices))
    except command.REFUSALS as error:
        fail(str(error))
    for line in command.report(result):
        print(line)
