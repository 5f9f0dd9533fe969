"""One message about an incident, as every alert channel receives it: already in Russian and
already decided (which incident, which moment of its life); a channel only carries it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Severity = Literal["critical", "warning"]


class Moment(enum.StrEnum):
    """When in an incident's life a message is sent: one when it opens, reminders while it
    stays open, one when it resolves."""

    OPENED = "opened"
    REMINDER = "reminder"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertMessage:
    incident_id: int
    rule: str  # the rule's code, e.g. "amocrm_blocked"
    severity: Severity
    moment: Moment
    subject: str  # one line: «🔴 amoCRM заблокировал доступ» (the e-mail's subject)
    text: str  # the whole message, several lines, plain text
    link: str | None  # the dashboard page that shows the items; None without web.public_url
    since: datetime  # when the incident opened (UTC)
