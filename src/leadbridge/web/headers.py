"""Browser hardening headers on every answer: no framing (clickjacking), no MIME sniffing, no
referrer leaking lead URLs to other sites, no script or style but the site's own files, and no
copy of a page with personal data left in a browser's or proxy's cache."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from leadbridge.web.http_middleware import HttpMiddleware

# Nothing inline: a URL or name from a partner that slipped through escaping still cannot run.
# htmx is told in base.html not to inject its indicator style and never to eval.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HARDENING = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Every page shows leads, sellers or money; an answer that may be kept says so itself
    # (the static files).
    "Cache-Control": "no-store",
}


class SecurityHeaders(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HARDENING.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_hardened)
