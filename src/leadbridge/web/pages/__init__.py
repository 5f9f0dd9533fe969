"""The dashboard's pages, one module each; `router` serves them all."""

from fastapi import APIRouter

from leadbridge.web.pages import (
    charts,
    funnel,
    leads,
    outbox,
    overview,
    reconciliation,
    settlements,
    static,
)

router = APIRouter(tags=["dashboard"])
for page in (overview, leads, outbox, funnel, reconciliation, settlements, charts, static):
    router.include_router(page.router)

__all__ = ["router"]
