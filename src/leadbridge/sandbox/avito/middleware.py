"""Adds the rate-limit headers that the route's limiter decided on to the answer."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RATE_HEADERS_KEY = "leadbridge.avito.rate_headers"


class RateHeadersMiddleware:
    """Gives each request a list in its scope; headers put there reach the response.

    The list is shared by reference, so it survives routers that copy the scope.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app({**scope, RATE_HEADERS_KEY: headers}, receive, send_with_headers)
