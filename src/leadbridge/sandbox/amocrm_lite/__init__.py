"""A compact amoCRM API v4 simulator: the parts the bridge, the demo and the managers use."""

from leadbridge.sandbox.amocrm_lite.app import create_amocrm_app
from leadbridge.sandbox.amocrm_lite.state import AmoSandbox, AmoSandboxConfig

__all__ = ["AmoSandbox", "AmoSandboxConfig", "create_amocrm_app"]
