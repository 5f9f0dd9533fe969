"""`leadbridge privacy …`: retention of sellers' personal data (sync/privacy.py)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from leadbridge.cli.common import load_settings, run_async

privacy_app = typer.Typer(
    help="Personal data: sellers' names, phones and IMEIs of deals closed longer ago than "
    "privacy.keep_closed_days are anonymized (the job runs daily; this runs it now).",
    no_args_is_help=True,
)
PROGRESS_EVERY = 10_000  # leads: a line on stderr, so that a long first run shows it moves


@privacy_app.command("purge")
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count the deals that are due; change nothing.")
    ] = False,
) -> None:
    """Anonymize the sellers of deals closed before the cut-off, and redact their raw inbox
    events; amounts, statuses and settlement lines stay. Audited in `privacy_runs`."""
    from leadbridge.sync.privacy import purge_command

    actor = os.environ.get("USER") or "cli"
    report = run_async(
        purge_command(load_settings(), dry_run=dry_run, actor=actor, progress=_Progress())
    )
    cut = report.cutoff.date().isoformat()
    if dry_run:
        print(f"would anonymize {report.due} deals closed before {cut} (dry run: nothing changed)")
        return
    counts = report.counts
    print(
        f"anonymized {counts.leads} deals closed before {cut}: {counts.events} inbox events "
        f"redacted, {counts.contacts} phones dropped from the contact index "
        f"(audit: privacy run {report.run_id})"
    )


class _Progress:
    """A line each time another PROGRESS_EVERY leads are done, and at the end."""

    def __init__(self) -> None:
        self._shown = 0

    def __call__(self, done: int, due: int) -> None:
        if done // PROGRESS_EVERY > self._shown // PROGRESS_EVERY or done >= due:
            print(f"anonymized {done} of {due}", file=sys.stderr)
            self._shown = done
