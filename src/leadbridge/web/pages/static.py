"""Files the pages load: htmx, vendored in the package so the dashboard needs no CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter()
STATIC = Path(__file__).parent.parent / "static"
FILES = {"htmx.min.js": "text/javascript"}


@router.get("/static/{name}")
async def static_file(name: str) -> FileResponse:
    if name not in FILES:  # a fixed list: no path from the request ever reaches the disk
        raise HTTPException(status_code=404)
    return FileResponse(
        STATIC / name, media_type=FILES[name], headers={"Cache-Control": "max-age=86400"}
    )
