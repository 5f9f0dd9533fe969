"""The webhook channel: each alert as one JSON POST, signed when a secret is set.

The signature is the lowercase hex HMAC-SHA256 of the exact body bytes, keyed by the secret, in
`X-Leadbridge-Signature`: the receiver recomputes it over the raw body before parsing, and
rejects a message that does not match (forged, or altered on the way).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlsplit

import httpx

from leadbridge.channels import ChannelError
from leadbridge.channels.redaction import hide_in_http_logs, one_line
from leadbridge.channels.transport import unreachable
from leadbridge.config.alerts import WebhookChannelSettings
from leadbridge.domain.alert_message import AlertMessage, Severity

SIGNATURE_HEADER = "X-Leadbridge-Signature"


class WebhookChannel:
    name = "webhook"

    def __init__(self, settings: WebhookChannelSettings) -> None:
        self.severities: frozenset[Severity] = frozenset(settings.severities)
        self._url = settings.url
        self._secret = settings.secret.get_secret_value().encode()
        self._timeout_s = settings.timeout_s
        parts = urlsplit(settings.url)
        self._host = parts.netloc.rpartition("@")[2]  # not the user:password of the URL, if any
        # A hook's URL often is its credential (a token in the path or query): logs keep the host.
        secret_part = settings.url.split(parts.netloc, 1)[-1] if parts.netloc else ""
        hide_in_http_logs(secret_part if len(secret_part) > 1 else "")
        self._client = httpx.AsyncClient(timeout=settings.timeout_s, follow_redirects=False)

    async def send(self, message: AlertMessage) -> None:
        body = payload_of(message)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self._secret:
            headers[SIGNATURE_HEADER] = signature(self._secret, body)
        response = await self._request("POST", content=body, headers=headers)
        if not response.is_success:
            reason = one_line(response.reason_phrase or "")
            raise ChannelError(
                f"Webhook: {self._host} answered HTTP {response.status_code} {reason}".rstrip()
            )

    async def probe(self) -> None:
        """A HEAD sends no alert; any HTTP answer (even 405) shows the receiver is there."""
        await self._request("HEAD")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _request(
        self, method: str, *, content: bytes | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            return await self._client.request(method, self._url, content=content, headers=headers)
        except httpx.HTTPError as error:
            raise unreachable("Webhook", self._host, error, self._timeout_s) from None


def payload_of(message: AlertMessage) -> bytes:
    return json.dumps(
        {
            "incident_id": message.incident_id,
            "rule": message.rule,
            "severity": message.severity,
            "moment": message.moment.value,
            "subject": message.subject,
            "text": message.text,
            "link": message.link,
            "since": message.since.isoformat(),
        },
        ensure_ascii=False,
    ).encode()


def signature(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()
