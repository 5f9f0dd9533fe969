"""A correlation id per request, in every log line written while it is served and in the
response's `X-Request-ID`."""

from __future__ import annotations

import re
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from leadbridge.web.http_middleware import HttpMiddleware

HEADER = "X-Request-ID"
# A caller's id is kept only if it cannot smuggle anything into the logs.
ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{8,64}")


class CorrelationIds(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope["headers"]).get(HEADER.lower().encode(), b"").decode("latin-1")
        correlation_id = given if ACCEPTABLE.fullmatch(given) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(HEADER, correlation_id)
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            await self.app(scope, receive, send_with_id)
