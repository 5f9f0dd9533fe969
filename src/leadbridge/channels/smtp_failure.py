"""The one-line reason an SMTP exchange failed, in terms of the setting to look at."""

from __future__ import annotations

import ssl

import aiosmtplib

from leadbridge.channels import ChannelError
from leadbridge.channels.redaction import one_line


def smtp_failure(server: str, error: BaseException, timeout_s: float) -> ChannelError:
    """`server` is "host:port"; never the username or password, and addresses are masked."""
    return ChannelError(f"E-mail: {_reason(server, error, timeout_s)}")


def _reason(server: str, error: BaseException, timeout_s: float) -> str:  # noqa: PLR0911
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return (
            f"{server} refused the login ({_reply(error)}): "
            "check alerts.email.username and password"
        )
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        first = error.recipients[0] if error.recipients else None
        reply = f" ({_reply(first)})" if first else ""
        return f"{server} refused every recipient{reply}: check alerts.email.recipients"
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return f"{server} refused the sender ({_reply(error)}): check alerts.email.sender"
    if isinstance(error, ssl.SSLError):
        return (
            f"TLS with {server} failed ({one_line(error.reason or str(error))}): "
            "is its certificate trusted? (alerts.email.ca_file)"
        )
    if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return f"{server} did not answer within {timeout_s:g} s"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{server} answered {_reply(error)}"
    if "STARTTLS" in str(error) and "not supported" in str(error):
        return f"{server} does not offer STARTTLS (alerts.email.starttls = true)"
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return f"{server} closed the connection ({one_line(str(error))})"
    if isinstance(error, aiosmtplib.SMTPConnectError | OSError):
        return f"cannot reach {server} ({one_line(str(error)) or type(error).__name__})"
    return f"{server}: {one_line(str(error)) or type(error).__name__}"


def _reply(error: aiosmtplib.SMTPResponseException) -> str:
    return f"{error.code} {one_line(error.message)}".strip()
