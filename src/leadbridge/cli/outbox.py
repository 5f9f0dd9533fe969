"""`leadbridge outbox …`: the statuses waiting for Avito, and what an operator may do to one."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from leadbridge.cli.common import fail, load_settings, run_async

outbox_app = typer.Typer(
    help="The statuses waiting for Avito: list them; retry, park, unpark, skip or replay one "
    "(every action is audited).",
    no_args_is_help=True,
)


@outbox_app.command("list")
def outbox_list(
    state: Annotated[
        str | None, typer.Option(help="pending, sending, sent, parked or skipped.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many items.")] = 100,
) -> None:
    """List outbox items: id, state, Avito lead, status, attempts, last error."""
    from leadbridge.sync.outbox_commands import list_items

    for line in run_async(list_items(load_settings(), state=state, limit=limit)):
        print(line)


def _outbox_action(action: str, item_id: int, note: str | None) -> None:
    from leadbridge.store.operator_actions import ActionRefused
    from leadbridge.sync.outbox_commands import act

    actor = os.environ.get("USER") or "cli"
    try:
        print(
            run_async(act(load_settings(), item_id=item_id, action=action, actor=actor, note=note))
        )
    except ActionRefused as error:
        fail(str(error))


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
    """Send a parked item, or its lead's last sent one, again under a new idempotency key, as its
    lead's head. An earlier sent status is refused: Avito takes statuses only forward."""
    _outbox_action("replay", item_id, note)
