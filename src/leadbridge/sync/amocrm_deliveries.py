"""Which amoCRM webhook deliveries are one: the inbox key of a webhook body.

amoCRM sends a delivery again, with the very same body, when it was not answered 2xx within 2 s
(reference §9.3); the simulator's faults also copy deliveries. A body whose every stage change
carries its `last_modified` is unique to its moves, so its SHA-256 is its key and a copy is
stored once.

A body without times is not: a deal moved A→B, back to A and to B again sends the first body
twice, byte for byte, and nothing in it tells a move from a redelivery. Its key is the SHA-256
followed by how many changes of its deals are logged when it arrives. The same bytes arriving
before anything new was logged for those deals are taken for a copy of the one already stored
and kept once; once the deal's history grew, the same bytes are stored again, since they may be
a new move. Either way the stage-change flow does not log such a change from the body: it reads
the deal's events, each with its time (`StageChanges.handle`), so a copy stored again adds
nothing, and a move taken for a copy of a body still waiting is read with that body's events.

Left to the catch-up (`sync/events_catchup.py`): a late copy read after its deal went back, then
the same move again before anything else was logged — that body's key is the late copy's.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.amocrm.webhook import AmoWebhook
from leadbridge.store import leads, status_log


async def delivery_key(session: AsyncSession, raw: bytes, hook: AmoWebhook) -> str:
    digest = hashlib.sha256(raw).hexdigest()
    untimed = {change.amo_lead_id for change in hook.status_changes if change.modified_at is None}
    if not untimed:
        return digest  # the key of every body before untimed ones were told apart
    # Each deal's count only grows, so their sum changes whenever any history grew.
    logged = sum([await _logged_changes(session, deal) for deal in sorted(untimed)])
    return f"{digest}:{logged}"


async def _logged_changes(session: AsyncSession, amo_lead_id: int) -> int:
    lead = await leads.by_amo_lead_id(session, amo_lead_id)
    return 0 if lead is None else len(await status_log.for_lead(session, lead.id))
