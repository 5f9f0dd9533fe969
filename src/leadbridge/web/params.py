"""Path parameters of dashboard pages, checked to their type and range before any lookup.

An id that does not fit a database integer would otherwise reach the driver and fail there;
FastAPI answers 422 for a value out of range, like for one that is not a number.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path

from leadbridge.domain.periods import Week, WeekError

# The tables' ids are `Integer`: INTEGER on PostgreSQL is 32 bits, so even 2**31 fails there.
MAX_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


def week_of(name: str) -> Week:
    """The settlement week a path names; 404 for a name that is no week we could hold."""
    try:
        return Week.parse(name)
    except WeekError as error:
        raise HTTPException(status_code=404, detail=str(error)) from error
