"""Simulator of the Avito partner buyout API described in docs/avito-partner-api.md."""

from leadbridge.sandbox.avito.app import create_avito_app
from leadbridge.sandbox.avito.config import AvitoSandboxConfig
from leadbridge.sandbox.avito.leads import LeadFactory
from leadbridge.sandbox.avito.sandbox import AvitoSandbox
from leadbridge.sandbox.avito.transitions import StatusDictionary

__all__ = [
    "AvitoSandbox",
    "AvitoSandboxConfig",
    "LeadFactory",
    "StatusDictionary",
    "create_avito_app",
]
