"""The amoCRM API v4 simulator: an account in memory, served over real HTTP."""

from leadbridge.sandbox.amocrm.app import create_amocrm_app
from leadbridge.sandbox.amocrm.state import AmoSandbox, AmoSandboxConfig
from leadbridge.sandbox.amocrm.users import UserSeed

__all__ = ["AmoSandbox", "AmoSandboxConfig", "UserSeed", "create_amocrm_app"]
