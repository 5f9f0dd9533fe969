"""The answer to a request whose handling failed unexpectedly: a plain 500, logged with its
correlation id.

Starlette's own last handler sits outside every middleware, so its 500 would go out without the
hardening headers and the request id. This one sits inside both; nothing of the error reaches
the client.
"""

from __future__ import annotations

import re

import structlog
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from leadbridge.web.http_middleware import HttpMiddleware

log = structlog.get_logger(__name__)
ANSWER = "Внутренняя ошибка сервера. Номер запроса для администратора: {}"
# A webhook's path carries its secret token: the log keeps only which webhook it was.
WEBHOOK_TOKEN = re.compile(r"^(/webhooks/[^/]+/).+")


class ServerErrors(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception(
                "request failed",
                method=scope["method"],
                path=WEBHOOK_TOKEN.sub(r"\1…", scope["path"]),
            )
            if started:
                raise  # half an answer is out: only the server can end the connection
            # The id that CorrelationIds bound for this request, also in its X-Request-ID header.
            request_id = structlog.contextvars.get_contextvars().get("correlation_id", "—")
            answer = PlainTextResponse(ANSWER.format(request_id), status_code=500)
            await answer(scope, receive, send)
