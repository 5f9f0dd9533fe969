"""Adds the rate-limit headers that the route's limiter decided on to the answer."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from leadbridge.web.http_middleware import HttpMiddleware

RATE_HEADERS_KEY = "leadbridge.avito.rate_headers"


class RateHeadersMiddleware(HttpMiddleware):
    """Gives each request a list in its scope; headers put there reach the response.

    The list is shared by reference, so it survives routers that copy the scope. The frame
    (HTTP only, the rest passes through) is the dashboard's own: the sandbox sits above `web`.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app({**scope, RATE_HEADERS_KEY: headers}, receive, send_with_headers)
