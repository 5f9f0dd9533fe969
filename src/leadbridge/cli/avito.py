"""`leadbridge avito …`: Avito's side of the bridge. `avito check FILE.json` shows how a sample
lead payload maps to a lead under the mapping in force (or another one), field by field;
`avito quarantine list|show|replay` reads and replays what could not be interpreted."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadbridge.cli.common import fail, load_settings, run_async

if TYPE_CHECKING:
    from leadbridge.avito.payload import Reading

avito_app = typer.Typer(
    help="Avito's side: how its payloads are read, and what could not be.", no_args_is_help=True
)


@avito_app.command()
def check(
    file: Annotated[
        Path,
        typer.Argument(
            help="A lead payload as JSON: the lead itself, a feed row ({id, lead}) or a "
            "webhook envelope (payload.lead), e.g. the body of a quarantined event."
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="The mapping file to try (default: the setting avito.mapping_file), e.g. an "
            "edited copy before it is put in force."
        ),
    ] = None,
) -> None:
    """Print how a sample payload maps: our field, the path it was found at, the value.

    Exits 2 when no lead can be made from it, with the reason (what intake would quarantine it
    for); a mapping file that does not fit is refused the same way, naming the bad key.
    """
    from leadbridge.avito import mapping as mappings
    from leadbridge.avito.payload import PayloadError, explain, parse_lead
    from leadbridge.config import ConfigurationError

    path = mapping if mapping is not None else load_settings().avito.mapping_file
    try:
        lead_mapping = mappings.load_mapping(path)
    except ConfigurationError as error:
        fail(str(error))
    try:
        sample = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        fail(f"cannot read {file}: {error}")
    lead, where = _lead_in(sample)
    print(f"mapping: {path}")
    if where:
        print(f"the lead is {where}")
    readings, unknown = explain(lead, lead_mapping)
    rows = [("field", "path", "value")]
    for reading in readings:
        rows.append((reading.name, reading.path or "—", _value(reading)))
    width = [max(len(row[column]) for row in rows) for column in range(2)]
    for name, used, value in rows:
        print(f"{name:<{width[0]}}  {used:<{width[1]}}  {value}")
    if unknown:
        print(f"unknown fields, kept: {json.dumps(unknown, ensure_ascii=False, default=str)}")
    try:
        request = parse_lead(lead, lead_mapping)
    except PayloadError as error:
        fail(f"no lead can be made from {file}: {error}")
    print(f"lead {request.avito_lead_id}: can be made")


def _lead_in(sample: Any) -> tuple[Any, str]:
    """The lead payload inside a webhook envelope or a feed row, or the sample itself."""
    if isinstance(sample, dict):
        payload = sample.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("lead"), dict):
            return payload["lead"], "the webhook envelope's payload.lead"
        if set(sample) == {"id", "lead"} and isinstance(sample["lead"], dict):
            return sample["lead"], "the feed row's lead"
    return sample, ""


def _value(reading: Reading) -> str:
    if reading.error:
        return f"REFUSED: {reading.error}"
    shown = _json(reading.value)
    if reading.path is None:
        return f"{shown} (not in the payload)" if reading.value is not None else "—"
    found = _json(reading.found)
    return shown if found == shown else f"{shown} (found {found})"


def _json(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return json.dumps(value, ensure_ascii=False, default=str)


quarantine_app = typer.Typer(
    help="Avito's events that could not be read (after a change of its API): list them, show "
    "one, replay them once the mapping follows the change.",
    no_args_is_help=True,
)
avito_app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Avito's events held back, oldest first: id, channel, when it came, why it was held."""
    from leadbridge.sync.avito_quarantine_commands import held_back

    rows = run_async(held_back(load_settings()))
    for row in rows:
        if as_json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{row['id']}\t{row['channel']}\t{row['received_at']}\t{row['reason']}")
    if not as_json:
        print(f"{len(rows)} held back", file=sys.stderr)


@quarantine_app.command("show")
def quarantine_show(event_id: int) -> None:
    """One event: when it came, why it was held, whether it was replayed, and its raw body (as
    received; save it to a file and try `leadbridge avito check FILE --mapping COPY`)."""
    from leadbridge.sync.avito_quarantine_commands import NoSuchEvent, one

    try:
        meta, body = run_async(one(load_settings(), event_id))
    except NoSuchEvent as error:
        fail(str(error))
    for key, value in meta.items():
        print(f"{key}: {value if value is not None else '—'}")
    print("body:")
    print(_pretty(body))


@quarantine_app.command("replay")
def quarantine_replay(
    event_ids: Annotated[
        list[int] | None, typer.Argument(help="The events to replay (see `list`).")
    ] = None,
    replay_all: Annotated[
        bool, typer.Option("--all", help="Every event held back, and every status refused.")
    ] = False,
) -> None:
    """Interpret held-back events again with the mapping in force (restart the service with the
    fixed mapping first). A request becomes a deal exactly once, however often it is replayed
    or whichever way it also came. With --all, statuses Avito refused for their form (unknown
    status, missing code, moved endpoint) are sent again too. Audited; the last line is JSON:
    {"replayed": N, "leads_created": N, "still_quarantined": N, "statuses_resent": N}."""
    from leadbridge.sync.avito_quarantine_commands import NoSuchEvent, replay_held_back

    if replay_all == bool(event_ids):
        fail("name the events to replay, or --all (not both)")
    actor = os.environ.get("USER") or "cli"
    try:
        report = run_async(
            replay_held_back(load_settings(), actor=actor, ids=None if replay_all else event_ids)
        )
    except NoSuchEvent as error:
        fail(str(error))
    print(report.to_json())


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except ValueError:
        return body
