"""The answer to a request that failed: a plain 500 for an unexpected error, logged with its
correlation id; and, for a person's browser, a Russian page with a way back instead of JSON.

Starlette's own last handler sits outside every middleware, so its 500 would go out without the
hardening headers and the request id. This one sits inside both; nothing of the error reaches
the client.

FastAPI answers a refusal (`HTTPException`, a path parameter out of range) with JSON, which is
what the webhooks' senders and scripts read. A browser asking for a dashboard page reads it too,
as raw `{"detail":"no such lead"}` and no way on; so an error answer to a browser's request
(one that accepts HTML, not an htmx swap, not an API path) is held back and replaced by a page
that says in Russian what went wrong, with the same status and headers.
"""

from __future__ import annotations

import json
import re

import structlog
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from leadbridge.web.http_middleware import HttpMiddleware
from leadbridge.web.pages.common import NAVIGATION, templates

log = structlog.get_logger(__name__)
ANSWER = "Внутренняя ошибка сервера. Номер запроса для администратора: {}"
# A webhook's path carries its secret token: the log keeps only which webhook it was.
WEBHOOK_TOKEN = re.compile(r"^(/webhooks/[^/]+/).+")
# Machines' paths: their callers read JSON whatever they accept.
API_PATHS = ("/webhooks/", "/healthz", "/readyz", "/metrics", "/static/")
TITLES = {
    400: "Запрос не понят",
    403: "Нет доступа",
    404: "Не найдено",
    405: "Так эту страницу открыть нельзя",
    409: "Действие отклонено",
    413: "Слишком большой запрос",
    422: "Неверный адрес или данные формы",
    429: "Слишком много запросов",
    500: "Внутренняя ошибка сервера",
    503: "Сервис временно недоступен",
}
# The `detail` of the refusals the dashboard raises; another detail gets its status's title.
DETAILS = {
    "no such lead": "Такой заявки нет.",
    "no such run": "Такой сверки нет.",
    "no such item": "Такого статуса в очереди в Авито нет.",
    "no such action": "Такого действия нет.",
    "Not Found": "Такой страницы нет.",
    "Method Not Allowed": "Эта страница не принимает такой запрос.",
    "your role may not open this page": "Этот раздел не для вашей роли.",
    "confirmation box not ticked": "Поставьте галочку подтверждения и отправьте форму ещё раз.",
    "xlsx or csv": "Выгрузка бывает только в XLSX или CSV.",
    "database unavailable, retry later": "База данных недоступна. Повторите чуть позже.",
    "a value in the request cannot be stored or searched for": "В запросе есть символ, "
    "который нельзя сохранить или искать.",
}


class ServerErrors(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        for_person = _wants_page(scope)
        held: list[Message] = []  # an error answered in JSON, to be shown as a page instead

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if for_person and _json_error(message):
                    held.append(message)
                    return
            elif held:
                held.append(message)
                if not message.get("more_body", False):
                    await _as_page(held, scope, receive, send)
                return
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
            text = ANSWER.format(request_id)
            answer: Response = (
                _page(scope, 500, text) if for_person else PlainTextResponse(text, status_code=500)
            )
            await answer(scope, receive, send)


def _wants_page(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    return (
        "text/html" in headers.get("accept", "")
        and "hx-request" not in headers
        and not scope["path"].startswith(API_PATHS)
    )


def _json_error(start: Message) -> bool:
    content_type = Headers(raw=start["headers"]).get("content-type", "")
    return int(start["status"]) >= 400 and content_type.startswith("application/json")


async def _as_page(held: list[Message], scope: Scope, receive: Receive, send: Send) -> None:
    start, body = held[0], b"".join(message.get("body", b"") for message in held[1:])
    status = int(start["status"])
    page = _page(scope, status, _detail(body, status))
    # The refusal's own headers (a Retry-After, a cookie) stay; its length and type do not.
    kept = [
        (name, value)
        for name, value in start["headers"]
        if name.lower() not in (b"content-length", b"content-type")
    ]
    page.raw_headers = [*kept, *page.raw_headers]
    await page(scope, receive, send)


def _detail(body: bytes, status: int) -> str:
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail in DETAILS:
        return DETAILS[detail]
    return TITLES.get(status, "Что-то пошло не так") + "."


def _page(scope: Scope, status: int, message: str) -> HTMLResponse:
    path = scope["path"]
    # Back to the section the failed address belongs to, and always to the overview.
    section = next(
        (item for item in NAVIGATION if item.path != "/" and path.startswith(item.path)), None
    )
    html = templates.get_template("error.html").render(
        status=status,
        title=TITLES.get(status, f"Ошибка {status}"),
        message=message,
        section=section,
    )
    return HTMLResponse(html, status_code=status)
