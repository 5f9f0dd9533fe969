"""The checks of Avito: our client credentials get a token, and the webhook subscription
(`GET` of the mapping's `[endpoints] webhook`, docs/avito-partner-api.md §5.1) names our URL.

Read-only: the subscription is made by `run` and `worker` at start (a `PUT` that Avito answers
only after pinging the URL), never here.
"""

from __future__ import annotations

import asyncio

import httpx

from leadbridge.avito.mapping_in_force import active_mapping
from leadbridge.avito.token import AvitoAuthError, AvitoToken
from leadbridge.doctor.checks import CheckFailed, one_line
from leadbridge.doctor.context import Context
from leadbridge.doctor.public_url import base_of, masked_webhook_url, webhook_url

TOO_MANY = 429
TOKEN_INTERVAL_S = 1.1
RESTART = "restart `leadbridge run` (or a `worker`): it subscribes web.public_url at start"


async def token(ctx: Context) -> str:
    settings = ctx.settings.avito
    http = ctx.avito = httpx.AsyncClient(base_url=settings.base_url, timeout=settings.timeout_s)
    source = AvitoToken(http, settings, path=active_mapping().wire.endpoints.token)
    try:
        try:
            ctx.avito_token = await source.get()
        except httpx.HTTPStatusError as error:
            if error.response.status_code != TOO_MANY:
                raise
            # Avito gives a token a second per client: a running service may have just taken
            # this second's.
            await asyncio.sleep(TOKEN_INTERVAL_S)
            ctx.avito_token = await source.get()
    except AvitoAuthError as error:
        raise CheckFailed(
            one_line(error),
            "check avito.client_id and avito.client_secret (Avito's partner cabinet)",
        ) from None
    except (httpx.HTTPError, ValueError, KeyError) as error:
        raise CheckFailed(f"Avito's token request failed: {_why(error)}", _reach_fix()) from None
    return f"client {settings.client_id or '(empty)'} gets a token at {settings.base_url}"


async def webhook(ctx: Context) -> str:
    web = ctx.settings.web
    url = webhook_url(web, "avito")
    shown = masked_webhook_url(web, "avito")
    assert ctx.avito is not None, "the token check runs first"
    wire = active_mapping().wire
    try:
        response = await ctx.avito.get(
            wire.endpoints.webhook, headers={"Authorization": f"Bearer {ctx.avito_token or ''}"}
        )
        response.raise_for_status()
        subscription = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise CheckFailed(
            f"Avito's subscription could not be read: {_why(error)}", _reach_fix()
        ) from None
    registered = (
        subscription.get(wire.webhook.subscription_url) if isinstance(subscription, dict) else None
    )
    if not registered:
        raise CheckFailed("Avito has no webhook subscription", RESTART)
    if registered != url:
        elsewhere = base_of(str(registered))
        if str(registered).startswith(shown.removesuffix("***")):
            elsewhere = "our URL with another web.webhook_token"
        raise CheckFailed(f"Avito sends new requests to {elsewhere}, not {shown}", RESTART)
    return f"new requests go to {shown}"


def _why(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"Avito answered {error.response.status_code}"
    return f"{type(error).__name__}: {one_line(error)}"


def _reach_fix() -> str:
    return "check avito.base_url and that this machine reaches Avito; try again"
