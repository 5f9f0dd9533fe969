"""Avito after a change it shipped without notice: the simulator behind a pass-through proxy that,
when told to, rewrites the settlement answer the way such a change would.

The simulator speaks the documented contract; this stands for the day Avito does not. The lines
Avito still writes as documented come from the simulator, computed from what our relay sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from leadbridge.web.server import serve

SETTLEMENT_PATH = "/partner/buyout/v1/settlements"
PASSED_HEADERS = ("authorization", "content-type")

# The simulator's answer → what Avito sends after the change: JSON, or text for a body that
# is not JSON at all.
Rewrite = Callable[[dict[str, Any]], object]


@dataclass
class ChangedAvito:
    url: str
    rewrite: Rewrite | None = None  # None: the simulator's answer, untouched


@asynccontextmanager
async def changed_avito(simulator: httpx.URL | str) -> AsyncIterator[ChangedAvito]:
    async with httpx.AsyncClient(base_url=simulator) as upstream:
        changed = ChangedAvito(url="")

        async def forward(request: Request) -> Response:
            headers = {
                key: request.headers[key] for key in PASSED_HEADERS if key in request.headers
            }
            answer = await upstream.request(
                request.method,
                request.url.path,
                params=dict(request.query_params),
                headers=headers,
                content=await request.body(),
            )
            rewrite = changed.rewrite
            if request.url.path == SETTLEMENT_PATH and answer.status_code == 200 and rewrite:
                body = rewrite(answer.json())
                return HTMLResponse(body) if isinstance(body, str) else JSONResponse(body)
            media_type = answer.headers.get("content-type")
            return Response(answer.content, answer.status_code, media_type=media_type)

        routes = [Route("/{path:path}", forward, methods=["GET", "POST", "PUT"])]
        async with serve(Starlette(routes=routes)) as url:
            changed.url = url
            yield changed


def amount_in_rubles(lead_id: str) -> Rewrite:
    """Avito writes the amount of `lead_id`'s line in rubles, a JSON number with a fraction."""

    def rewrite(answer: dict[str, Any]) -> object:
        for line in answer["result"]:
            if line["leadId"] == lead_id:
                line["amount"] = line["amount"] / 100 + 0.5
        return answer

    return rewrite


def extra_lines(*lines: dict[str, Any]) -> Rewrite:
    """Avito adds lines of its own to the answer."""

    def rewrite(answer: dict[str, Any]) -> object:
        answer["result"] += list(lines)
        return answer

    return rewrite
