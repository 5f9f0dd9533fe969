"""The e-mail channel: one message per alert to every recipient, over SMTP (aiosmtplib).

STARTTLS is required when `starttls` is on (a server that does not offer it is refused, not
talked to in clear), and the certificate is verified against the system's CAs, or only
against `ca_file` when set (a private relay; the sandbox's self-signed SMTP sink).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator

import aiosmtplib
import structlog

from leadbridge.channels import ChannelError
from leadbridge.channels.email_message import compose
from leadbridge.channels.smtp_failure import smtp_failure
from leadbridge.config.alerts import EmailSettings
from leadbridge.domain.alert_message import AlertMessage, Severity

log = structlog.get_logger(__name__)


class EmailChannel:
    name = "email"

    def __init__(
        self, settings: EmailSettings, *, tls_context: ssl.SSLContext | None = None
    ) -> None:
        """`tls_context` overrides both the system's CAs and `settings.ca_file`."""
        self.severities: frozenset[Severity] = frozenset(settings.severities)
        self._settings = settings
        self._tls_context = tls_context
        self._server = f"{settings.host}:{settings.port}"

    async def send(self, message: AlertMessage) -> None:
        settings = self._settings
        if not settings.sender:
            raise ChannelError("E-mail: alerts.email.sender is not set")
        if not settings.recipients:
            raise ChannelError("E-mail: alerts.email.recipients is empty")
        mail = compose(message, sender=settings.sender, recipients=settings.recipients)
        async with self._session() as smtp:
            refused, _reply = await smtp.send_message(mail)
        if refused:
            # Delivered to the others: raising would have the engine send it to them again.
            log.warning("email_recipients_refused", refused=len(refused), server=self._server)

    async def probe(self) -> None:
        """Connect, EHLO, STARTTLS and log in, then QUIT: everything but a message."""
        async with self._session():
            pass

    async def aclose(self) -> None:
        """Nothing is held between messages: one alert is rarer than an SMTP idle timeout."""

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[aiosmtplib.SMTP]:
        settings = self._settings
        if not settings.host:
            raise ChannelError("E-mail: alerts.email.host is not set")
        smtp = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            start_tls=settings.starttls,  # True: STARTTLS or fail; False: never
            tls_context=self._tls() if settings.starttls else None,
            timeout=settings.timeout_s,
        )
        try:
            await smtp.connect()
            if settings.username:
                await smtp.login(settings.username, settings.password.get_secret_value())
            yield smtp
            await smtp.quit()
        except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as error:
            raise smtp_failure(self._server, error, settings.timeout_s) from None
        finally:
            smtp.close()

    def _tls(self) -> ssl.SSLContext | None:
        if self._tls_context is not None:
            return self._tls_context
        if self._settings.ca_file is None:
            return None  # aiosmtplib's default: the system's CAs, hostname checked
        try:
            return ssl.create_default_context(cafile=str(self._settings.ca_file))
        except (OSError, ssl.SSLError) as error:
            raise ChannelError(
                f"E-mail: cannot read alerts.email.ca_file ({type(error).__name__})"
            ) from None
