"""Изменения API Авито: what Avito sent or answered that our mapping does not know (contract
drift), each kind and name with when it was first and last seen, how often, and one masked
sample; and how many Avito events wait in quarantine for the mapping to be fixed. Read-only:
the fix is a person's (the mapping file, then a replay from the command line).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from leadbridge.security.roles import OPERATOR
from leadbridge.store import contract_drift
from leadbridge.web.auth import CurrentUser, require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates
from leadbridge.web.pages.labels import DRIFT_KIND_LABELS

router = APIRouter()
Operator = Annotated[CurrentUser, Depends(require_role(OPERATOR))]


@router.get("/avito-changes", response_class=HTMLResponse)
async def avito_changes_page(request: Request, _user: Operator) -> HTMLResponse:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        drifts = await contract_drift.listing(session)
        quarantined = await contract_drift.quarantined_avito(session)
    rows = [
        {
            "kind": DRIFT_KIND_LABELS.get(drift.kind, drift.kind),
            "name": drift.name,
            "first_seen_at": drift.first_seen_at,
            "last_seen_at": drift.last_seen_at,
            "seen": drift.seen,
            "sample": drift.sample,
        }
        for drift in drifts
    ]
    return templates.TemplateResponse(
        request,
        "avito_changes.html",
        {
            "rows": rows,
            "quarantined": quarantined,
            "cut": len(drifts) == contract_drift.LISTED,
            "listed": contract_drift.LISTED,
        },
    )
