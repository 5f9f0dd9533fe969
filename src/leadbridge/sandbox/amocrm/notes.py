"""Notes on deals (reference §7): added in batches, listed per deal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from leadbridge.sandbox.amocrm.shapes import request_id
from leadbridge.sandbox.amocrm.validation import ValidationFailed, error

if TYPE_CHECKING:
    from leadbridge.sandbox.amocrm.state import AmoSandbox


def add_notes(
    sandbox: AmoSandbox, body: Sequence[Mapping[str, Any]], entity_id: int | None = None
) -> dict[str, Any]:
    """The answer to a batch of notes; `entity_id` comes from the path when it is given.

    Every note must belong to an existing deal; otherwise nothing is written.
    """
    targets = [int(entity_id or raw.get("entity_id") or 0) for raw in body]
    for index, (target, raw) in enumerate(zip(targets, body, strict=True)):
        if target not in sandbox.leads:
            raise ValidationFailed(
                [error(request_id(raw, index), "NotFound", "entity_id", "The deal does not exist.")]
            )
    created = []
    for index, (target, raw) in enumerate(zip(targets, body, strict=True)):
        note = _note(sandbox, target, raw)
        created.append(
            {
                "id": note["id"],
                "entity_id": target,
                "request_id": request_id(raw, index),
                "_links": {"self": {"href": f"/api/v4/leads/{target}/notes/{note['id']}"}},
            }
        )
    return {"_embedded": {"notes": created}}


def _note(sandbox: AmoSandbox, entity_id: int, raw: Mapping[str, Any]) -> dict[str, Any]:
    now = int(sandbox.now())
    note = {
        "id": sandbox.next_id(),
        "entity_id": entity_id,
        "note_type": raw.get("note_type") or "common",
        "params": raw.get("params") or {},
        "created_by": 0,
        "created_at": now,
        "updated_at": now,
        "account_id": sandbox.config.account_id,
    }
    sandbox.notes.append(note)
    return note


def notes_of(sandbox: AmoSandbox, entity_id: int) -> list[dict[str, Any]]:
    return [note for note in sandbox.notes if note["entity_id"] == entity_id]
