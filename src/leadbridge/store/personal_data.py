"""Where sellers' personal data lies, overwritten a batch of leads at a time: the lead's own
fields, the raw inbox events it came in, a seller's edits, and our phone index of amoCRM
contacts.

Only what identifies a seller changes; amounts, statuses, the status log, the outbox and the
settlement lines are not touched, so every week settles to the same totals after a purge.

The JSON fields are cleared in the database, one statement per table and batch (jsonb_set on
PostgreSQL, json_replace on SQLite): ten times faster than reading every payload into Python
and writing it back. A payload the database cannot take apart that way (a body that is not
JSON, an array where an object was expected) fails the statement; the batch then goes row by
row through the same rule in Python (`domain/retention.py`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, delete, exists, false, func, null, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import literal, literal_column

from leadbridge.domain.retention import (
    REDACTED_BODY,
    REDACTED_NAME,
    REDACTED_NOTE,
    Path,
    redacted,
    redacted_body,
    redacted_device,
)
from leadbridge.store.tables import CrmContact, InboxEvent, Lead, SellerChange
from leadbridge.store.upsert import dialect_name

DEVICE_IMEI: Path = ("imei",)


async def anonymize_leads(
    session: AsyncSession, lead_ids: Collection[int], paths: Collection[Path]
) -> None:
    """`updated_at` stays: nothing happened to the deal, and the moment of the anonymization is
    kept with its closing (`lead_closures`)."""
    plain = {
        Lead.seller_name: REDACTED_NAME,
        Lead.seller_phone: None,
        Lead.item_url: None,  # the listing leads to the seller's Avito profile
        Lead.imei: None,
    }
    dialect = dialect_name(session)
    where = Lead.id.in_(list(lead_ids))
    json_fields = {
        Lead.device: _cleared(dialect, Lead.device, [DEVICE_IMEI]),
        Lead.raw_payload: _cleared(dialect, Lead.raw_payload, paths),
    }
    statement = update(Lead).where(where).values(plain | json_fields)
    if await _in_one_statement(session, statement) is not None:
        return
    rows = await session.execute(select(Lead.id, Lead.device, Lead.raw_payload).where(where))
    await session.execute(
        update(Lead),
        [
            {
                "id": lead_id,
                **{column.key: value for column, value in plain.items()},
                "device": redacted_device(device),
                "raw_payload": redacted(raw, paths),
            }
            for lead_id, device, raw in rows.all()
        ],
    )


async def redact_events(
    session: AsyncSession,
    source: str,
    key_prefix: str,
    lead_ids: Collection[int],
    paths: Collection[Path],
) -> int:
    """The raw events keyed `<key_prefix><Avito id>` of these leads, their personal fields
    cleared; how many there were. The keys are made in the database: no round trip."""
    keys = select(literal(key_prefix) + Lead.avito_lead_id).where(Lead.id.in_(list(lead_ids)))
    where = (InboxEvent.source == source, InboxEvent.event_key.in_(keys))
    dialect = dialect_name(session)
    body: ColumnElement[Any]
    if dialect == "postgresql":
        body = cast(_cleared(dialect, cast(InboxEvent.body, JSONB), paths), Text)
    else:
        body = _cleared(dialect, InboxEvent.body, paths)
    statement = update(InboxEvent).where(*where).values(body=body)
    if (done := await _in_one_statement(session, statement)) is not None:
        return done
    rows = (await session.execute(select(InboxEvent.id, InboxEvent.body).where(*where))).all()
    bodies = {event_id: redacted_body(text, paths) for event_id, text in rows}
    await session.execute(update(InboxEvent), [{"id": i, "body": b} for i, b in bodies.items()])
    return len(bodies)


async def forget_seller_changes(
    session: AsyncSession, source: str, lead_ids: Collection[int]
) -> int:
    """A seller's edits of these leads: their notes (which quote old and new phones and device
    fields) redacted, and the raw events they came in (keyed by the change) replaced whole by
    a marker that is still JSON; how many events."""
    of_leads = SellerChange.lead_id.in_(list(lead_ids))
    keys = select(SellerChange.change_key).where(of_leads)
    result = await session.execute(
        update(InboxEvent)
        .where(InboxEvent.source == source, InboxEvent.event_key.in_(keys))
        .values(body=REDACTED_BODY)
    )
    await session.execute(update(SellerChange).where(of_leads).values(note_text=REDACTED_NOTE))
    return _rowcount(result)


async def forget_contacts(session: AsyncSession, lead_ids: Collection[int]) -> int:
    """Drop the phones of these leads from our contact index, unless another lead not yet
    anonymized holds one (a seller who came back keeps being found); the rows removed. Call
    before the leads' phones are cleared."""
    batch = list(lead_ids)
    phones = select(Lead.seller_phone).where(Lead.id.in_(batch), Lead.seller_phone.is_not(None))
    held_elsewhere = exists().where(
        Lead.seller_phone == CrmContact.phone_e164, Lead.id.not_in(batch)
    )
    result = await session.execute(
        delete(CrmContact).where(CrmContact.phone_e164.in_(phones), ~held_elsewhere)
    )
    return _rowcount(result)


def _cleared(dialect: str, column: Any, paths: Collection[Path]) -> ColumnElement[Any]:
    """`column` with the value at each path that is present set to JSON null, in SQL: the
    rule of `domain.retention.redacted` (an absent path, or one under a scalar, is left)."""
    document: ColumnElement[Any] = column
    if dialect == "postgresql":
        for path in sorted(paths):
            document = func.jsonb_set(
                document,
                literal(list(path), ARRAY(Text)),
                literal_column("'null'::jsonb"),
                false(),
            )
        return document
    arguments: list[object] = []
    for path in sorted(paths):
        arguments += ["$" + "".join(f'."{key}"' for key in path), null()]
    return func.json_replace(document, *arguments) if arguments else document


async def _in_one_statement(session: AsyncSession, statement: object) -> int | None:
    """Run a set-wise update in a savepoint; the rows it changed, or None when the database
    refused a payload (the savepoint then rolled back, and the caller goes row by row)."""
    try:
        async with session.begin_nested():
            return _rowcount(await session.execute(statement))  # type: ignore[call-overload]
    except DBAPIError:
        return None


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
