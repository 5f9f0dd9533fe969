"""Files the pages load: htmx, vendored in the package so the dashboard needs no CDN, and the
style sheets (the Content-Security-Policy allows no inline style). No login: the login page
needs its style sheet, and none of these files holds anything private."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter()
STATIC = Path(__file__).parent.parent / "static"
FILES = {
    "htmx.min.js": "text/javascript",
    "dashboard.css": "text/css",
    "login.css": "text/css",
}


@router.get("/static/{name}")
async def static_file(name: str) -> FileResponse:
    if name not in FILES:  # a fixed list: no path from the request ever reaches the disk
        raise HTTPException(status_code=404)
    return FileResponse(
        STATIC / name, media_type=FILES[name], headers={"Cache-Control": "max-age=86400"}
    )
