"""`leadbridge doctor`: the checks in their order, each run once those it needs have passed.

The order is the order of a set-up: configuration, then this machine (database, keys), then
amoCRM, Avito, our public URL and the alert channels. A check whose prerequisite failed is
skipped, naming it: its own ✗ would only repeat the first one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from leadbridge.config import Settings
from leadbridge.doctor import alert_channels, amocrm, avito, local, public_url
from leadbridge.doctor.checks import Check, CheckFailed, Outcome, Result, one_line
from leadbridge.doctor.context import CHECK_TIMEOUT_S, Context

CONFIG, DATABASE, KEYS = "configuration", local.DATABASE, "token keys"
AMO_TOKEN = "amoCRM token"

CHECKS = (
    Check(CONFIG, (), local.configuration, "correct the configuration"),
    Check(DATABASE, (CONFIG,), local.database, "check database_url and the database server"),
    Check(KEYS, (CONFIG,), local.token_keys, "check security.token_keys and security.key_file"),
    Check(AMO_TOKEN, (DATABASE, KEYS), amocrm.token, "check the [amocrm] settings"),
    Check("amoCRM layout", (AMO_TOKEN,), amocrm.layout, "run `leadbridge setup`"),
    Check("amoCRM webhook", (AMO_TOKEN,), amocrm.webhook, "run `leadbridge setup`"),
    Check("Avito token", (KEYS,), avito.token, "check the [avito] settings"),
    Check("Avito webhook", ("Avito token",), avito.webhook, avito.RESTART),
    Check("public URL", (CONFIG,), public_url.healthz, "check web.public_url"),
    Check("alert channels", (KEYS,), alert_channels.alert_channels, "check [alerts]"),
)


async def examine(
    load_settings: Callable[[], Settings],
    *,
    send_test: bool = False,
    report: Callable[[Result], None] = lambda result: None,
) -> list[Result]:
    """Run every check in order; `report` hears each result as soon as it is known."""
    ctx = Context(load_settings=load_settings, send_test=send_test)
    results: list[Result] = []
    try:
        for check in CHECKS:
            result = await _run(check, ctx)
            if result.passed:
                ctx.passed.add(check.name)
            results.append(result)
            report(result)
    finally:
        await ctx.aclose()
    return results


async def _run(check: Check, ctx: Context) -> Result:
    missing = [name for name in check.needs if name not in ctx.passed]
    if missing:
        return Result(check.name, Outcome.SKIPPED, f"needs {', '.join(missing)}")
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            detail = await check.run(ctx)
    except CheckFailed as failed:
        return Result(check.name, Outcome.FAILED, failed.detail, failed.fix)
    except TimeoutError:
        detail = f"no answer within {CHECK_TIMEOUT_S:.0f} s"
        return Result(check.name, Outcome.FAILED, detail, check.fix)
    except Exception as error:  # a partner's or the network's surprise: a ✗ line, no traceback
        detail = f"{type(error).__name__}: {one_line(error)}"
        return Result(check.name, Outcome.FAILED, detail, check.fix)
    return Result(check.name, Outcome.PASSED, detail)
