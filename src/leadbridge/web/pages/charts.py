"""Графики: conversion by business week (from Monday 00:00 Moscow time, the settlement's weeks)
and by device model, time in stage, buyout price against asking price and loss reasons, drawn
as SVG on the server, each with its numbers in a table.

`load_statistics` scans the whole history, so an answer is kept in the process for `CACHE_S`
seconds per week filter: a page reloaded by several people costs one scan a minute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from leadbridge.domain.periods import Week
from leadbridge.domain.statistics import (
    GroupConversion,
    Statistics,
    iso_week_range,
)
from leadbridge.security.roles import FINANCE, OPERATOR
from leadbridge.sync.stats_command import load_statistics
from leadbridge.web.auth import require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates
from leadbridge.web.pages.numbers import count, duration, percent, rubles
from leadbridge.web.pages.svg import Bar, bar_chart

router = APIRouter(dependencies=[Depends(require_role(OPERATOR, FINANCE))])
CACHE_S = 60.0
MODELS_SHOWN = 15


@dataclass
class StatisticsCache:
    """Per week filter (None: all), the statistics and the monotonic time they were read."""

    kept: dict[str | None, tuple[float, Statistics]] = field(default_factory=dict)

    async def get(self, request: Request, week: str | None) -> Statistics:
        now = time.monotonic()
        hit = self.kept.get(week)
        if hit is not None and now - hit[0] < CACHE_S:
            return hit[1]
        ctx = context_of(request)
        fresh = await load_statistics(ctx.db, ctx.settings.funnel, week)
        self.kept[week] = (time.monotonic(), fresh)
        return fresh


def _cache(request: Request) -> StatisticsCache:
    state = request.app.state
    if not isinstance(getattr(state, "statistics_cache", None), StatisticsCache):
        state.statistics_cache = StatisticsCache()
    cache: StatisticsCache = state.statistics_cache
    return cache


def _conversion(groups: tuple[GroupConversion, ...], title: str) -> Markup:
    return bar_chart([Bar(g.key, g.rate, percent(g.rate)) for g in groups], title)


def charts_of(result: Statistics) -> dict[str, Markup]:
    prices = result.prices
    return {
        "weeks": _conversion(result.weeks, "Конверсия в выкуп по неделям"),
        "models": _conversion(result.models[:MODELS_SHOWN], "Конверсия по моделям"),
        "times": bar_chart(
            [Bar(t.name, t.mean_seconds, duration(t.mean_seconds)) for t in result.stage_times],
            "Среднее время в стадии",
        ),
        "prices": bar_chart(
            [
                Bar("Запрошено продавцами", prices.asked_kopecks, rubles(prices.asked_kopecks), 1),
                Bar("Заплачено", prices.paid_kopecks, rubles(prices.paid_kopecks), 0),
            ],
            "Цена выкупа против запрошенной",
        ),
        "losses": bar_chart(
            [
                Bar(r.reason, r.leads, f"{count(r.leads)} ({percent(r.share)})", 3)
                for r in result.loss_reasons
            ],
            "Причины отказа",
        ),
    }


@router.get("/charts", response_class=HTMLResponse)
async def charts_page(
    request: Request, week: Annotated[str, Query(max_length=16)] = ""
) -> HTMLResponse:
    chosen = None
    if week:
        try:
            start, _ = iso_week_range(week)
        except ValueError as error:
            raise HTTPException(status_code=400, detail=str(error)) from error
        # One cache entry per week, whichever way it was spelt ("2026-W018", " 2026-W18").
        chosen = Week.of(start).name
    cache = _cache(request)
    every_week = await cache.get(request, None)
    result = every_week if chosen is None else await cache.get(request, chosen)
    return templates.TemplateResponse(
        request,
        "charts.html",
        {
            "stats": result,
            "charts": charts_of(result),
            "weeks": [group.key for group in every_week.weeks],
            "chosen": chosen,
            "models_shown": MODELS_SHOWN,
        },
    )
