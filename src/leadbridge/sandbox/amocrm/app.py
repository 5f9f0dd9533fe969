"""The amoCRM simulator's HTTP surface (API v4 shapes; reference: amocrm-api-v4.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from leadbridge.sandbox.amocrm import (
    routes_admin,
    routes_crm,
    routes_entities,
    routes_layout,
    routes_more,
    routes_tasks,
    routes_users,
)
from leadbridge.sandbox.amocrm.gateway import TOO_MANY, UNAUTHORIZED, gateway_answer, problem
from leadbridge.sandbox.amocrm.state import AmoSandbox, AmoSandboxConfig
from leadbridge.sandbox.amocrm.validation import ValidationFailed

REVOKED = {
    "hint": "Token has been revoked",
    "title": "Некорректный запрос",
    "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
    "status": 401,
    "detail": "В запросе отсутствует ряд параметров или параметры невалидны",
}
BAD_CLIENT = {
    "title": "Некорректный клиент",
    "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
    "status": 401,
    "detail": "Авторизация клиента не прошла",
}
__all__ = ["TOO_MANY", "UNAUTHORIZED", "create_amocrm_app", "problem"]


def create_amocrm_app(config: AmoSandboxConfig | None = None) -> FastAPI:
    sandbox = AmoSandbox(config)
    app = FastAPI(title="amoCRM API v4 simulator", docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not request.url.path.startswith("/api/v4/"):
            return await call_next(request)
        refused = await gateway_answer(sandbox, request)
        if refused is not None:
            return refused
        try:
            return await call_next(request)
        except ValidationFailed as failed:
            return problem(
                {
                    "validation-errors": failed.errors,
                    "title": "Bad Request",
                    "type": "https://httpstatus.es/400",
                    "status": 400,
                    "detail": "Request validation failed",
                },
                400,
            )

    @app.post("/oauth2/access_token")
    async def access_token(request: Request) -> Response:
        body = await _body(request)
        grant = str(body.get("grant_type"))
        sandbox.stats.token_grants[grant] = sandbox.stats.token_grants.get(grant, 0) + 1
        if (
            body.get("client_id") != sandbox.config.client_id
            or body.get("client_secret") != sandbox.config.client_secret
        ):
            return problem(BAD_CLIENT, 401)
        if body.get("grant_type") == "authorization_code":
            expires = sandbox.codes.pop(str(body.get("code")), None)
            if (
                expires is None
                or expires < sandbox.now()
                or body.get("redirect_uri") != sandbox.config.redirect_uri
            ):
                return problem(
                    {**REVOKED, "hint": "Authorization code has expired or is invalid"}, 400
                )
            return JSONResponse(sandbox.issue_pair(f"grant:{body['code'][:12]}"))
        if body.get("grant_type") == "refresh_token":
            refresh = str(body.get("refresh_token"))
            lineage = sandbox.refresh_tokens.pop(refresh, None)
            if lineage is None:  # unknown, or already used: single-use tokens
                return problem(REVOKED, 401)
            sandbox.used_refresh.add(refresh)
            return JSONResponse(sandbox.issue_pair(lineage))
        return problem({**BAD_CLIENT, "title": "Unsupported grant type", "status": 400}, 400)

    @app.get("/sandbox/state")
    async def state() -> dict[str, Any]:
        return sandbox.state_json()

    @app.post("/sandbox/auth-code")
    async def auth_code() -> dict[str, str]:
        return {"auth_code": sandbox.issue_auth_code()}

    @app.post("/sandbox/person-token")
    async def person_token(request: Request) -> Response:
        """Body `{"user_id": N}` optional: that user's web session (a manager working their
        tasks), else the integration admin's."""
        raw = (await _body(request)).get("user_id")
        user_id = int(str(raw)) if str(raw).isdigit() else None
        if raw is not None and user_id not in sandbox.users.users:
            return JSONResponse({"error": f"no user {raw}"}, status_code=400)
        return JSONResponse({"access_token": sandbox.issue_person_token(user_id)})

    # The layout first: its `/leads/pipelines` must not be taken for `/leads/{lead_id}`.
    app.include_router(routes_layout.router)
    app.include_router(routes_crm.router)
    app.include_router(routes_entities.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_more.router)
    app.include_router(routes_tasks.router)
    app.include_router(routes_users.router)

    return app


async def _body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:  # not JSON: the same as no fields at all
            return {}
        return data if isinstance(data, dict) else {}
    return dict(parse_qsl((await request.body()).decode()))
