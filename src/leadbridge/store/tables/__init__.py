"""The schema. Changing it means a new Alembic revision in `migrations/versions`.

One module per table family, every table re-exported here: importing this package registers
them all on `Base.metadata`, the metadata Alembic's env (`migrations/env.py`) is given.
"""

from leadbridge.store.tables.alerts import AlertIncident, AlertMessage
from leadbridge.store.tables.base import NAMING, Base
from leadbridge.store.tables.dashboard import AppSecret, DashboardUser, LoginBudget, WebSession
from leadbridge.store.tables.drift import ContractDrift
from leadbridge.store.tables.flows import (
    Cursor,
    InboxEvent,
    OperatorAction,
    OutboxItem,
    SendAttempt,
    StatusChange,
)
from leadbridge.store.tables.leads import Lead
from leadbridge.store.tables.limits import RateLimitToken
from leadbridge.store.tables.partners import CrmContact, CrmObject, OAuthToken
from leadbridge.store.tables.reconciliation import ReconciliationItem, ReconciliationRun
from leadbridge.store.tables.routing import LeadTask, RoutingTurn
from leadbridge.store.tables.seller_changes import SellerChange
from leadbridge.store.tables.settlement import (
    SettlementAvitoLine,
    SettlementException,
    SettlementLine,
    SettlementPeriod,
)
from leadbridge.store.tables.supervision import LoopHeartbeat

__all__ = [
    "NAMING",
    "AlertIncident",
    "AlertMessage",
    "AppSecret",
    "Base",
    "ContractDrift",
    "CrmContact",
    "CrmObject",
    "Cursor",
    "DashboardUser",
    "InboxEvent",
    "Lead",
    "LeadTask",
    "LoginBudget",
    "LoopHeartbeat",
    "OAuthToken",
    "OperatorAction",
    "OutboxItem",
    "RateLimitToken",
    "ReconciliationItem",
    "ReconciliationRun",
    "RoutingTurn",
    "SellerChange",
    "SendAttempt",
    "SettlementAvitoLine",
    "SettlementException",
    "SettlementLine",
    "SettlementPeriod",
    "StatusChange",
    "WebSession",
]
