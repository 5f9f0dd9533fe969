"""Delivering queued alert messages: each channel on its own, so a failing one (Telegram down,
an SMTP server refusing us) delays only its own messages; its error is kept for the dashboard
and its messages are tried again later, honouring a wait the far side asked for."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import structlog

from leadbridge.channels import Channel, ChannelError
from leadbridge.domain.alert_message import AlertMessage, Moment
from leadbridge.store import alerts as store
from leadbridge.store.alerts import QueuedMessage
from leadbridge.store.database import Database

log = structlog.get_logger(__name__)
BATCH = 200
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=30)
GIVE_UP_AFTER = timedelta(hours=24)  # an alert a day late helps nobody; the page still shows it


async def deliver_due(db: Database, channels: Sequence[Channel], now: datetime) -> int:
    """Send every message due by `now`; returns how many were delivered."""
    async with db.transaction() as session:
        queued = await store.due(session, now, BATCH)
    by_channel: dict[str, list[QueuedMessage]] = defaultdict(list)
    for message in queued:
        by_channel[message.channel].append(message)
    named: Mapping[str, Channel] = {channel.name: channel for channel in channels}
    counts = await asyncio.gather(
        *(
            _deliver(db, named.get(name), name, messages, now)
            for name, messages in by_channel.items()
        )
    )
    return sum(counts)


async def _deliver(
    db: Database,
    channel: Channel | None,
    name: str,
    messages: list[QueuedMessage],
    now: datetime,
) -> int:
    delivered = 0
    for message in messages:
        if channel is None:
            async with db.transaction() as session:
                reason = f"канал {name} больше не настроен"
                await store.failed(session, message.id, reason, now, retry_at=None)
            continue
        try:
            await channel.send(_message(message))
        except ChannelError as error:
            await _failed(db, name, message, error, now)
            return delivered  # the channel is failing: its other messages wait for the next try
        async with db.transaction() as session:
            await store.delivered(session, message.id, now)
        delivered += 1
    return delivered


async def _failed(
    db: Database, name: str, message: QueuedMessage, error: ChannelError, now: datetime
) -> None:
    pause = min(FIRST_PAUSE * 2**message.attempts, LONGEST_PAUSE)
    if error.retry_after_s is not None:
        pause = max(pause, timedelta(seconds=error.retry_after_s))
    retry_at = now + pause if now - message.created_at < GIVE_UP_AFTER else None
    log.warning(
        "alerts.channel_failed", channel=name, error=str(error), retry_in_s=pause.total_seconds()
    )
    async with db.transaction() as session:
        await store.failed(session, message.id, str(error), now, retry_at=retry_at)


def _message(queued: QueuedMessage) -> AlertMessage:
    return AlertMessage(
        incident_id=queued.incident_id,
        rule=queued.rule,
        severity=queued.severity,
        moment=Moment(queued.moment),
        subject=queued.subject,
        text=queued.text,
        link=queued.link,
        since=queued.opened_at,
    )
