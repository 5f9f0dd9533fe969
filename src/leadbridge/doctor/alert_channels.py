"""The check of the alert channels of `[alerts]`: each enabled one is probed (nothing sent),
and with `--send-test` sent a test message, so that a person sees it arrive.

No channel at all passes: alerts are optional, and the dashboard shows incidents without them.
The line says so, for the integrator to decide.
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadbridge.channels import Channel, ChannelError
from leadbridge.channels.build import channels_for
from leadbridge.doctor.checks import CheckFailed, one_line
from leadbridge.doctor.context import Context
from leadbridge.domain.alert_message import AlertMessage, Moment

TEST_SUBJECT = "Проверка канала оповещений leadbridge"
TEST_TEXT = (
    "Проверка канала оповещений leadbridge: это сообщение отправила команда "
    "`leadbridge doctor --send-test`. Если вы его видите, канал работает."
)


async def alert_channels(ctx: Context) -> str:
    channels = channels_for(ctx.settings.alerts)
    if not channels:
        return "none configured ([alerts.telegram], [alerts.email] or [alerts.webhook])"
    problems: list[str] = []
    try:
        for channel in channels:
            problem = await _try(channel, ctx.send_test)
            if problem:
                problems.append(f"{channel.name}: {problem}")
    finally:
        for channel in channels:
            await channel.aclose()
    if problems:
        names = ", ".join(f"[alerts.{problem.split(':', 1)[0]}]" for problem in problems)
        raise CheckFailed("; ".join(problems), f"correct {names} and check the network path")
    done = "test message sent" if ctx.send_test else "reachable (nothing sent; --send-test sends)"
    return f"{', '.join(channel.name for channel in channels)}: {done}"


async def _try(channel: Channel, send: bool) -> str | None:
    """What went wrong with `channel`, in one line; None when it works."""
    try:
        await channel.probe()
        if send:
            await channel.send(trial_message())
    except ChannelError as error:
        return one_line(error)
    except Exception as error:  # a channel's surprise is this check's ✗, never a traceback
        return f"{type(error).__name__}: {one_line(error)}"
    return None


def trial_message() -> AlertMessage:
    return AlertMessage(
        incident_id=0,
        rule="doctor_test",
        severity="warning",
        moment=Moment.OPENED,
        subject=TEST_SUBJECT,
        text=TEST_TEXT,
        link=None,
        since=datetime.now(UTC),
    )
