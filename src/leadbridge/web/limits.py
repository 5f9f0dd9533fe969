"""A size limit on every request body, before any route or middleware parses it."""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from leadbridge.web.bodies import BodyTooLarge, read_body, replay

BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS:
            await self.app(scope, receive, send)
            return
        if self._declared(scope) > self.max_bytes:
            await _too_large(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.max_bytes)
        except BodyTooLarge:
            await _too_large(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)

    @staticmethod
    def _declared(scope: Scope) -> int:
        for key, value in scope["headers"]:
            if key == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("body too large", status_code=413)(scope, receive, send)
