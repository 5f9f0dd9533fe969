"""Which leads of a deal batch repeat an earlier deal (`domain/repeat_seller.py`), decided in
the transaction that marks them attempted and kept for their retries: the tag a retry sends, and
the note added later, say what the first attempt said.

One query per batch finds the candidates. Two requests of one seller in one batch never meet
here: the batcher sends the second in the next batch (`DealBatcher._choose`), once the first
has its deal id to link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.repeat_seller import Request, find_repeats, window_start
from leadbridge.store import leads
from leadbridge.store.tables import Lead


async def mark_repeats(session: AsyncSession, batch: Sequence[Lead], window: timedelta) -> int:
    """Record the repeats among the batch's leads tried for the first time; how many."""
    requests = [
        Request(lead.id, lead.seller_phone, lead.imei, lead.avito_created_at)
        for lead in batch
        if lead.deal_attempts == 0
    ]
    since = window_start(requests, window)
    if since is None:
        return 0
    phones = {request.phone for request in requests if request.phone}
    imeis = {request.imei for request in requests if request.imei}
    earlier = await leads.earlier_deals(session, phones, imeis, since)
    repeats = find_repeats(requests, earlier, window)
    await leads.set_repeats(session, repeats)
    for lead in batch:  # the detached rows follow what was just written
        if (repeat := repeats.get(lead.id)) is not None:
            lead.repeat_amo_lead_id = repeat.amo_lead_id
            lead.repeat_requested_at = repeat.requested_at
            lead.repeat_match = repeat.match.value
    return len(repeats)
