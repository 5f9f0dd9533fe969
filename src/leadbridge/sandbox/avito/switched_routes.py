"""Routes that a breaking-change switch adds or removes while the sandbox runs.

A route `present_while` its switch is off matches no request, so the router answers exactly as
for a path it never had. A route `gone_while` its switch is on answers 410 with the error body
before anything else: before its body is read, and before the limit, the fault profile and the
token, since there is no method left there to count, fault or authorize. Each such request is
counted in the sandbox's `gone_total`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from leadbridge.sandbox.avito.errors import error_response
from leadbridge.sandbox.avito.evolution import EvolutionSwitches
from leadbridge.sandbox.avito.sandbox import AvitoSandbox

SwitchTest = Callable[[EvolutionSwitches], bool]


def _sandbox(scope: Scope) -> AvitoSandbox:
    # Starlette puts the app in every request's scope before the middleware runs.
    return cast(AvitoSandbox, scope["app"].state.sandbox)


def present_while(switch: SwitchTest) -> type[APIRoute]:
    """A route class whose routes exist only while `switch` holds."""

    class PresentWhile(APIRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            if scope["type"] == "http" and not switch(_sandbox(scope).config.evolution):
                return Match.NONE, {}
            return super().matches(scope)

    return PresentWhile


def gone_while(switch: SwitchTest, message: str) -> type[APIRoute]:
    """A route class whose routes answer 410 `message` (any method) while `switch` holds."""

    class GoneWhile(APIRoute):
        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            sandbox = _sandbox(scope)
            if not switch(sandbox.config.evolution):
                await super().handle(scope, receive, send)
                return
            sandbox.gone_total += 1
            await error_response(410, message)(scope, receive, send)

    return GoneWhile
