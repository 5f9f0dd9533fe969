"""The dashboard's pages, one module each; `router` serves them all (the static files, which
need no login, are served by the app itself)."""

from fastapi import APIRouter

from leadbridge.web.pages import (
    alerts,
    avito_changes,
    charts,
    first_contact,
    funnel,
    leads,
    outbox,
    overview,
    quarantine,
    reconciliation,
    settlements,
)

router = APIRouter(tags=["dashboard"])
PAGES = (
    overview,
    leads,
    outbox,
    funnel,
    reconciliation,
    quarantine,
    avito_changes,
    settlements,
    charts,
    first_contact,
    alerts,
)
for page in PAGES:
    router.include_router(page.router)

__all__ = ["router"]
