"""One message the SMTP sink accepted, as a rehearsal reads it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesParser
from typing import Any


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str  # the envelope's MAIL FROM
    rcpt_to: tuple[str, ...]  # the envelope's accepted RCPT TO
    authenticated_as: str | None  # the AUTH login, None without AUTH
    over_tls: bool  # STARTTLS was in force when the message came
    subject: str  # decoded (RFC 2047 words become text)
    body: str  # the text/plain part, decoded
    headers: dict[str, str]  # every header, decoded; a repeated one keeps its last value
    received_at: datetime

    @classmethod
    def parse(
        cls,
        raw: bytes,
        *,
        mail_from: str,
        rcpt_to: list[str],
        authenticated_as: str | None,
        over_tls: bool,
        received_at: datetime,
    ) -> ReceivedMail:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        plain = message.get_body(preferencelist=("plain",))
        body = plain.get_content() if plain is not None else ""
        return cls(
            mail_from=mail_from,
            rcpt_to=tuple(rcpt_to),
            authenticated_as=authenticated_as,
            over_tls=over_tls,
            subject=str(message.get("subject", "")),
            body=str(body).replace("\r\n", "\n"),  # SMTP's line ends, not the text's
            headers={name: str(value) for name, value in message.items()},
            received_at=received_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.mail_from,
            "to": list(self.rcpt_to),
            "authenticated_as": self.authenticated_as,
            "over_tls": self.over_tls,
            "subject": self.subject,
            "body": self.body,
            "headers": self.headers,
            "date": self.received_at.isoformat(),
        }
