"""The sandbox's SMTP server: takes e-mail alerts over STARTTLS + AUTH and keeps them."""

from leadbridge.sandbox.smtp_sink.received import ReceivedMail
from leadbridge.sandbox.smtp_sink.sink import SmtpSink, SmtpSinkConfig, smtp_sink

__all__ = ["ReceivedMail", "SmtpSink", "SmtpSinkConfig", "smtp_sink"]
