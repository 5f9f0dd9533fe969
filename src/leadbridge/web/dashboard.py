"""The operators' dashboard, in Russian: every page is a module of `leadbridge.web.pages`."""

from __future__ import annotations

from leadbridge.web.pages import router

__all__ = ["router"]
