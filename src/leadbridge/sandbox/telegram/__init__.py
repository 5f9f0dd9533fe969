"""The Telegram Bot API simulator (sendMessage, getMe, getChat), served over real HTTP, and the
alert sandbox that runs it beside the SMTP sink."""

from leadbridge.sandbox.telegram.alert_sandbox import AlertSinks, alert_sandbox
from leadbridge.sandbox.telegram.app import create_telegram_app
from leadbridge.sandbox.telegram.config import TelegramSandboxConfig
from leadbridge.sandbox.telegram.state import Faults, SentMessage, TelegramSandbox

__all__ = [
    "AlertSinks",
    "Faults",
    "SentMessage",
    "TelegramSandbox",
    "TelegramSandboxConfig",
    "alert_sandbox",
    "create_telegram_app",
]
