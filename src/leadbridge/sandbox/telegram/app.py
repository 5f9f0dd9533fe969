"""The Telegram Bot API simulator's HTTP surface."""

from __future__ import annotations

from fastapi import FastAPI

from leadbridge.sandbox.smtp_sink import SmtpSink
from leadbridge.sandbox.telegram import routes_admin, routes_bot
from leadbridge.sandbox.telegram.config import TelegramSandboxConfig
from leadbridge.sandbox.telegram.state import TelegramSandbox


def create_telegram_app(
    config: TelegramSandboxConfig | None = None, *, mail: SmtpSink | None = None
) -> FastAPI:
    """`mail`: the SMTP sink whose messages `GET /sandbox/mail` shows, so that a rehearsal
    reads every alert it caused over HTTP, whichever channel carried it."""
    app = FastAPI(title="Telegram Bot API simulator", docs_url=None, redoc_url=None)
    app.state.sandbox = TelegramSandbox(config or TelegramSandboxConfig(), mail=mail)
    app.include_router(routes_admin.router)
    app.include_router(routes_bot.router)
    return app
