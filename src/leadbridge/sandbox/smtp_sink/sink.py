"""A real SMTP server that keeps what it receives (aiosmtpd), for rehearsing e-mail alerts.

It runs in the caller's event loop (not aiosmtpd's `Controller`, which starts a thread with a
loop of its own): the sandbox's HTTP servers and this one then share one loop, and a test reads
`mail` without locks. Like a submission server on port 587 it offers STARTTLS and AUTH
PLAIN/LOGIN, refuses MAIL before AUTH and AUTH before STARTTLS, and refuses wrong credentials
with 535.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from leadbridge.sandbox.smtp_sink.certificate import self_signed, server_context
from leadbridge.sandbox.smtp_sink.received import ReceivedMail

# aiosmtpd itself still sets its deprecated `Session.login_data` after every AUTH, and logs a
# warning each time: one that speaks to aiosmtpd's authors, not to whoever runs the sandbox.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in str(record.msg)
)


@dataclass(frozen=True)
class SmtpSinkConfig:
    username: str = "alerts@sandbox.leadbridge.example"  # empty: no AUTH asked
    password: str = "smtp-sandbox-password"
    sender: str = "leadbridge@sandbox.leadbridge.example"  # a From to suggest to clients
    starttls: bool = True  # False: a plain relay that offers no STARTTLS
    # Recipients answered "550 mailbox unavailable", to rehearse a refused address.
    refused_recipients: frozenset[str] = field(default_factory=frozenset)
    hostname: str = "smtp.sandbox.leadbridge"  # the banner's name; default would ask DNS


class SmtpSink:
    """What the server received (`mail`) and where a client finds it (`host`, `port`,
    `ca_file`); made by `smtp_sink()`."""

    def __init__(self, config: SmtpSinkConfig, ca_file: Path | None) -> None:
        self.config = config
        self.ca_file = ca_file  # the certificate to trust; None without STARTTLS
        self.host = "127.0.0.1"
        self.port = 0
        self.mail: list[ReceivedMail] = []

    # handle_RCPT and handle_DATA: the names aiosmtpd calls its handler's hooks by.
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in {refused.lower() for refused in self.config.refused_recipients}:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        login = getattr(session.auth_data, "login", None)
        self.mail.append(
            ReceivedMail.parse(
                raw if isinstance(raw, bytes) else raw.encode(),
                mail_from=envelope.mail_from or "",
                rcpt_to=list(envelope.rcpt_tos),
                authenticated_as=login.decode() if isinstance(login, bytes) else None,
                over_tls=session.ssl is not None,
                received_at=datetime.now(UTC),
            )
        )
        return "250 2.0.0 OK: queued"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if (
            isinstance(data, LoginPassword)
            and _same(data.login, self.config.username)
            and (_same(data.password, self.config.password))
        ):
            return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535 5.7.8


def _same(given: bytes, expected: str) -> bool:
    return hmac.compare_digest(given, expected.encode())


@contextlib.asynccontextmanager
async def smtp_sink(
    config: SmtpSinkConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[SmtpSink]:
    """Serve SMTP on `host:port` (0: a free port) until the block exits. The CA file lives in a
    private temporary folder, removed at the end."""
    config = config or SmtpSinkConfig()
    with tempfile.TemporaryDirectory(prefix="leadbridge-smtp-sink-") as folder:
        tls = None
        ca_file = None
        if config.starttls:
            certificate_pem, key_pem = self_signed()
            tls = server_context(certificate_pem, key_pem)
            ca_file = Path(folder, "smtp-sandbox-ca.pem")
            ca_file.write_bytes(certificate_pem)
        sink = SmtpSink(config, ca_file)
        sessions: set[SMTP] = set()

        def connection() -> SMTP:
            session = SMTP(
                sink,
                hostname=config.hostname,
                tls_context=tls,
                require_starttls=tls is not None,
                auth_required=bool(config.username),
                auth_require_tls=tls is not None,
                authenticator=sink.authenticate,
                timeout=60,
            )
            sessions.add(session)
            return session

        server = await asyncio.get_running_loop().create_server(connection, host, port)
        sink.host, sink.port = host, server.sockets[0].getsockname()[1]
        try:
            yield sink
        finally:
            server.close()
            # Sessions a client left open would outlive the loop's servers: close them here.
            for session in sessions:
                if session.transport is not None:
                    session.transport.close()
            await server.wait_closed()
