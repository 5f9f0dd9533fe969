"""What amoCRM's nginx and API gateway answer before a request reaches the account.

In order: the account block (403 HTML for everyone), the Bearer token (401 problem+json), the
rate limit (429 HTML, no Retry-After), then the injected faults of the profile.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from leadbridge.sandbox.amocrm.blocking import FORBIDDEN
from leadbridge.sandbox.amocrm.faults import BAD_GATEWAY, GATEWAY_TIMEOUT

if TYPE_CHECKING:
    from leadbridge.sandbox.amocrm.state import AmoSandbox

TOO_MANY = (
    "<html><head><title>429 Too Many Requests</title></head><body><center>"
    "<h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>"
)
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "https://httpstatus.es/401",
    "status": 401,
    "detail": "Неверный логин или пароль",
}
GATEWAY_PAGES = {502: BAD_GATEWAY, 504: GATEWAY_TIMEOUT}


def problem(body: dict[str, Any], status: int) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def gateway_answer(sandbox: AmoSandbox, request: Request) -> Response | None:
    """The gateway's own answer, or None when the request may go on to the account."""
    if sandbox.block.refuse(sandbox.now()):
        return HTMLResponse(FORBIDDEN, status_code=403)
    header = request.headers.get("authorization", "")
    token = sandbox.tokens.get(header.removeprefix("Bearer ").strip())
    if token is None or token.expires_at < sandbox.now():
        return problem(UNAUTHORIZED, 401)
    if not sandbox.admit(token):
        return HTMLResponse(TOO_MANY, status_code=429)
    return await _injected_fault(sandbox, request.method, token.kind)


async def _injected_fault(sandbox: AmoSandbox, method: str, kind: str) -> Response | None:
    if kind != "integration":  # a person's clicks are not what the fault profile is about
        return None
    faults = sandbox.faults
    if delay := faults.latency_s():
        await asyncio.sleep(delay)
    if faults.burst_429():
        # Not a violation by the client, so it does not count towards the account block.
        return HTMLResponse(TOO_MANY, status_code=429)
    status = faults.write_error(method)
    if status is not None:
        return HTMLResponse(GATEWAY_PAGES[status], status_code=status)
    return None
