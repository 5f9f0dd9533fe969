"""What the channel tests share: an alert to send, and a webhook receiver over real HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadbridge.domain.alert_message import AlertMessage, Moment
from leadbridge.web.server import serve

LINK = "https://leadbridge.example/dashboard/incidents/7"


def alert(
    text: str = "Сделки не создаются: amoCRM отвечает 403.", **changes: object
) -> AlertMessage:
    fields: dict[str, object] = {
        "incident_id": 7,
        "rule": "amocrm_blocked",
        "severity": "critical",
        "moment": Moment.OPENED,
        "subject": "🔴 amoCRM заблокировал доступ",
        "text": text,
        "link": LINK,
        "since": datetime(2026, 11, 30, 9, 15, tzinfo=UTC),
    }
    fields.update(changes)
    return AlertMessage(**fields)  # type: ignore[arg-type]


@dataclass
class Received:
    method: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """A webhook's far end: keeps every request, answers `status`."""

    url: str = ""
    status: int = 204
    requests: list[Received] = field(default_factory=list)


@contextlib.asynccontextmanager
async def webhook_receiver(path: str = "/hooks/leadbridge") -> AsyncIterator[Receiver]:
    receiver = Receiver()

    async def hook(request: Request) -> Response:
        receiver.requests.append(
            Received(request.method, await request.body(), dict(request.headers))
        )
        if request.method == "HEAD":
            return Response(status_code=405)  # as many receivers answer what they do not serve
        return Response(status_code=receiver.status)

    app = Starlette(routes=[Route(path, hook, methods=["POST", "HEAD"])])
    async with serve(app) as base_url:
        receiver.url = base_url + path
        yield receiver
