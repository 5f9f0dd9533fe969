"""The checks of amoCRM: the token works and is of the configured account; the pipeline,
stages, deal fields and loss reasons are those of the funnel file; the status webhook is
subscribed to our public URL.

Read-only, except for what the service itself would write at its next call: an access token
amoCRM refuses or that has expired is renewed with its refresh token and stored, and on
PostgreSQL the calls go through the limiter shared with the running service (a row of its own),
so that together they stay within amoCRM's per-integration limit.
"""

from __future__ import annotations

from leadbridge.amocrm.account import account_id
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoApiError
from leadbridge.amocrm.connect import connect
from leadbridge.amocrm.tokens import PROVIDER, AmoAuthError, AmoTokens
from leadbridge.doctor.checks import CheckFailed, one_line
from leadbridge.doctor.context import Context
from leadbridge.doctor.public_url import masked_webhook_url, webhook_url
from leadbridge.store import crm_objects, tokens
from leadbridge.sync.provisioning import plan_and_apply

SETUP = "run `leadbridge setup`"


async def token(ctx: Context) -> str:
    settings = ctx.settings.amocrm
    async with ctx.db().transaction() as session:
        stored = await tokens.token(session, PROVIDER) is not None
        recorded = await crm_objects.account_id(session)
    long_lived = settings.long_lived_token.get_secret_value()
    if not stored and not long_lived:
        raise CheckFailed(
            "no amoCRM token stored",
            f"{SETUP} (it exchanges amocrm.auth_code), or `leadbridge auth amocrm --code CODE`",
        )
    api = ctx.amo = connect(settings, ctx.db())
    if not stored:
        # `run` would store the long-lived token at start; the doctor only uses it.
        api.client.tokens = _Given(ctx, api, long_lived)
    try:
        account = await account_id(api)
    except AmoAuthError as error:
        raise CheckFailed(
            one_line(error), "authorise again: `leadbridge auth amocrm --code CODE`"
        ) from None
    except AmoApiError as error:
        raise CheckFailed(_api_detail(error), _api_fix(error)) from None
    configured = settings.account_id
    if configured is not None and configured != account:
        raise CheckFailed(
            f"the token is of account {account} but amocrm.account_id is {configured}: every "
            "webhook would be refused",
            f"set amocrm.account_id = {account}, or authorise with the account {configured}",
        )
    if configured is None and recorded not in (None, account):
        # Without amocrm.account_id, the web process takes the webhooks of the account setup
        # recorded only (web/webhooks.py).
        raise CheckFailed(
            f"the token is of account {account} but setup recorded {recorded}: this account's "
            "webhooks are refused until it is recorded",
            f"{SETUP} (or restart `leadbridge run`): it records the token's account",
        )
    kind = "stored token" if stored else "long-lived token"
    return f"{kind} valid, account {account}"


async def layout(ctx: Context) -> str:
    """What `leadbridge setup --dry-run` would change: nothing, when amoCRM matches."""
    funnel = ctx.settings.funnel
    try:
        changes = await plan_and_apply(ctx.db(), _api(ctx), funnel, None, dry_run=True)
    except AmoApiError as error:
        raise CheckFailed(_api_detail(error), _api_fix(error)) from None
    if changes:
        more = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
        raise CheckFailed(f"amoCRM lacks what the funnel file names: {changes[0]}{more}", SETUP)
    return (
        f"pipeline {funnel.name!r}: {len(funnel.working_stages)} stages, the deal fields and "
        f"{len(funnel.loss_reasons)} loss reasons in place"
    )


async def webhook(ctx: Context) -> str:
    url = webhook_url(ctx.settings.web, "amocrm")
    shown = masked_webhook_url(ctx.settings.web, "amocrm")
    try:
        hooks = await _api(ctx).webhooks(url)
    except AmoApiError as error:
        raise CheckFailed(_api_detail(error), _api_fix(error)) from None
    ours = [hook for hook in hooks if hook.destination == url]
    if not ours:
        raise CheckFailed(f"no webhook to {shown}", f"{SETUP} (or start `leadbridge run`)")
    if all(hook.disabled for hook in ours):
        raise CheckFailed(
            f"the webhook to {shown} was switched off by amoCRM after failed deliveries",
            f"make the public URL answer, then {SETUP}: it switches the webhook on again",
        )
    return f"status changes go to {shown}"


class _Given(AmoTokens):
    """A long-lived token used as it is: not stored, never renewed."""

    def __init__(self, ctx: Context, api: AmoApi, value: str) -> None:
        super().__init__(ctx.db(), api.client.http, ctx.settings.amocrm)
        self._value = value

    async def access_token(self) -> str:
        return self._value

    def invalidate(self) -> None:
        pass  # nothing to renew it with: the call fails with amoCRM's 401


def _api(ctx: Context) -> AmoApi:
    assert ctx.amo is not None, "the token check runs first"
    return ctx.amo


def _api_detail(error: AmoApiError) -> str:
    if error.status == 0:  # no answer at all: the client gave up retrying
        return f"amoCRM did not answer: {error.detail}"
    return one_line(error)


def _api_fix(error: AmoApiError) -> str:
    if error.status == 401:
        return "authorise again: `leadbridge auth amocrm --code CODE`, or a new long-lived token"
    if error.status == 403:
        return "give the integration's user access to the API (or wait out amoCRM's block)"
    return "check amocrm.base_url and that amoCRM answers; try again"
