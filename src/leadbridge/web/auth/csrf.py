"""CSRF protection: every state-changing dashboard request carries the session's token.

The token is a synchronizer token kept in the signed session; a form sends it as the field
`csrf_token`, htmx as the header `X-CSRF-Token`. Webhooks are exempt: partners authenticate by
the secret path token and have no session.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from leadbridge.web.bodies import read_body, replay

HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT = ("/webhooks/",)
FORM = b"application/x-www-form-urlencoded"
# The body limit outside already bounds the body; this only keeps the reader total.
_READ_LIMIT = 16 * 1024 * 1024


class CsrfProtection:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or scope["path"].startswith(EXEMPT)
        ):
            await self.app(scope, receive, send)
            return
        expected = scope.get("session", {}).get("csrf")
        given = _header(scope, HEADER.lower().encode())
        if given is None and (_header(scope, b"content-type") or b"").startswith(FORM):
            body = await read_body(receive, _READ_LIMIT)
            receive = replay(body, receive)
            given = _form_field(body)
        if not isinstance(expected, str) or not given or not _same(given, expected):
            refusal = PlainTextResponse("CSRF token missing or wrong", status_code=403)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _form_field(body: bytes) -> bytes | None:
    try:
        values = parse_qs(body.decode("utf-8"), max_num_fields=1000).get(FIELD)
    except (UnicodeDecodeError, ValueError):
        return None
    return values[0].encode() if values else None


def _same(given: bytes, expected: str) -> bool:
    return hmac.compare_digest(given, expected.encode())
