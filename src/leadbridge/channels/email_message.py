"""An alert as an e-mail: Russian subject and plain-text body, threaded per incident."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from leadbridge.channels.message_text import body_of
from leadbridge.domain.alert_message import AlertMessage, Moment


def compose(message: AlertMessage, *, sender: str, recipients: list[str]) -> EmailMessage:
    """The `email` package encodes the Cyrillic subject as an RFC 2047 word and the body as
    quoted-printable UTF-8: no 8BITMIME or SMTPUTF8 is asked of the relay."""
    domain = sender.rpartition("@")[2] or "leadbridge.invalid"
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = format_datetime(datetime.now(UTC))
    # Every message of one incident refers to the first one's id, so a mail client shows the
    # opening, its reminders and the resolution as one thread. `domain` is given: without it
    # make_msgid asks DNS for this host's name, which may hang.
    thread = f"<incident-{message.incident_id}.{int(message.since.timestamp())}@{domain}>"
    if message.moment is Moment.OPENED:
        mail["Message-ID"] = thread
    else:
        mail["Message-ID"] = make_msgid(f"incident-{message.incident_id}", domain=domain)
        mail["In-Reply-To"] = thread
        mail["References"] = thread
    mail["X-Leadbridge-Incident"] = str(message.incident_id)
    mail["X-Leadbridge-Severity"] = message.severity
    mail.set_content(body_of(message), cte="quoted-printable")
    return mail
