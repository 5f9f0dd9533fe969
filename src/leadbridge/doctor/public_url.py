"""Our public URL, as the partners reach it: the webhook addresses we must be subscribed at,
and the check that `{web.public_url}/healthz` answers.

The doctor asks from the machine it runs on: a firewall that lets this machine through but not
the partners is not seen. Run it from outside too (any host with leadbridge installed and the
same settings) when in doubt.
"""

from __future__ import annotations

import httpx

from leadbridge.config import WebSettings
from leadbridge.doctor.checks import CheckFailed, one_line
from leadbridge.doctor.context import Context

HEALTH_TIMEOUT_S = 10.0


def no_public_url() -> CheckFailed:
    return CheckFailed(
        "web.public_url is empty: the partners have no address to send webhooks to",
        "set web.public_url to the https:// address that reaches this server",
    )


def webhook_url(web: WebSettings, source: str) -> str:
    """Where `source` sends its webhooks, as the bridge subscribes it (`Bridge.webhook_url`)."""
    if not web.public_url:
        raise no_public_url()
    token = web.webhook_token.get_secret_value()
    return f"{web.public_url.rstrip('/')}/webhooks/{source}/{token}"


def masked_webhook_url(web: WebSettings, source: str) -> str:
    """The webhook URL as it may be printed: its secret segment (web.webhook_token) hidden."""
    return f"{web.public_url.rstrip('/')}/webhooks/{source}/***"


def base_of(url: str) -> str:
    """Scheme and host of someone else's URL, the rest hidden: it may hold their secret."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}/…"


async def healthz(ctx: Context) -> str:
    web = ctx.settings.web
    if not web.public_url:
        raise no_public_url()
    url = f"{web.public_url.rstrip('/')}/healthz"
    fix = (
        "start `leadbridge run` (or `web`) and make web.public_url reach it: DNS, nginx, "
        "firewall, TLS certificate"
    )
    try:
        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_S) as http:
            response = await http.get(url)
    except httpx.HTTPError as error:
        raise CheckFailed(
            f"{url} did not answer: {type(error).__name__}: {one_line(error)}", fix
        ) from None
    if response.status_code != 200 or _status(response) != "ok":
        raise CheckFailed(f"{url} answered {response.status_code}, not leadbridge's ok", fix)
    return f"{url} answers ok"


def _status(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("status") if isinstance(body, dict) else None
