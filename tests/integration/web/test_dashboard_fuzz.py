"""Fuzzing every dashboard route as each role over real HTTP: path, query and form parameters
drawn at random and from values that broke pages before (ids past 64 bits, week 9999-W52). No
answer may be a 5xx.

The routes are read from the app itself, so a page added later is fuzzed without a change here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.dashboard_site import USERS, Site, served_site

from leadbridge.config import AmoCrmSettings, AvitoSettings, Settings
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext

# Nothing listens there: an action that reaches for Avito or amoCRM fails at once, offline.
CLOSED = "http://127.0.0.1:9"
# Fuzzed elsewhere (test_security_fuzz.py), or ending the session the rest of the run needs.
LEFT_OUT = ("/webhooks/", "/login", "/logout")
PER_ROUTE_AND_ROLE = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
KNOWN = [
    "0",
    "1",
    "2",
    "-1",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "1e3",
    "2026-W48",
    "2026-W53",
    "9999-W52",
    "0000-W00",
    "2026-W018",
    "xlsx",
    "csv",
    "retry",
    "park",
    "unpark",
    "replay",
    "yes",
    "",
    " ",
    "..",
    "%00",
    "ё" * 300,
]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    path_params: dict[str, Any]
    query_params: dict[str, Any]
    form_params: dict[str, Any]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class Fuzzed:
    portal: BlockingPortal
    site: Site
    sessions: dict[str, tuple[httpx.AsyncClient, str]] = field(default_factory=dict)

    def answer(self, name: str, call: Call) -> tuple[int, str]:
        return self.portal.call(self._send, name, call)

    async def _send(self, name: str, call: Call) -> tuple[int, str]:
        http, csrf = self.sessions[name]
        headers = dict(call.headers)
        form = dict(call.form)
        if call.method == "POST":  # past the CSRF check, so that the route itself is reached
            headers["X-CSRF-Token"] = csrf
            form.setdefault("csrf_token", csrf)
        answer = await http.request(
            call.method,
            call.path,
            params=call.query,
            data=form if call.method == "POST" else None,
            headers=headers,
        )
        return answer.status_code, answer.text[:400]


def dashboard_routes(settings_: Settings) -> list[Route]:
    app = create_app(WebContext(settings=settings_, db=None, wakeups=LocalWakeups()))  # type: ignore[arg-type]
    found = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        path = route.path or ""
        if dependant is None or path.startswith(LEFT_OUT):
            continue
        for method in sorted(route.methods or ()):
            found.append(
                Route(
                    method,
                    path,
                    {p.name: p.field_info.annotation for p in dependant.path_params},
                    {p.name: p.field_info.annotation for p in dependant.query_params},
                    {p.name: p.field_info.annotation for p in dependant.body_params},
                )
            )
    return found


def _values(annotation: Any, seeded: list[str]) -> st.SearchStrategy[str]:
    drawn = st.sampled_from(KNOWN + seeded) | st.text(max_size=40)
    if annotation is int:
        drawn = drawn | st.integers(-(2**70), 2**70).map(str)
    return drawn


def calls(route: Route, seeded: list[str]) -> st.SearchStrategy[Call]:
    @st.composite
    def draw(data: st.DrawFn) -> Call:
        path = route.path
        for name, annotation in route.path_params.items():
            value = data(_values(annotation, seeded))
            path = path.replace("{" + name + "}", quote(value, safe=""))
        query = {
            name: data(_values(annotation, seeded))
            for name, annotation in route.query_params.items()
            if data(st.booleans())
        }
        form = {
            name: data(_values(annotation, seeded))
            for name, annotation in route.form_params.items()
            if data(st.booleans())
        }
        headers = data(
            st.sampled_from(
                [{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Target": "results"}]
            )
        )
        return Call(route.method, path, query, form, headers)

    return draw()


@pytest.fixture
def fuzzed(database_url: str) -> Iterator[Fuzzed]:
    app_settings = Settings(
        database_url=database_url,
        avito=AvitoSettings(base_url=CLOSED),
        amocrm=AmoCrmSettings(base_url=CLOSED),
    )
    with start_blocking_portal() as portal, contextlib.ExitStack() as stack:
        site = stack.enter_context(portal.wrap_async_context_manager(served_site(app_settings)))
        found = Fuzzed(portal, site)
        for name in USERS:
            found.sessions[name] = stack.enter_context(
                portal.wrap_async_context_manager(site.logged_in(name))
            )
        yield found


def test_no_dashboard_route_answers_a_5xx_to_any_role(fuzzed: Fuzzed) -> None:
    seeded = fuzzed.site.seeded
    known_ids = [str(seeded.lead_ids[0]), str(seeded.parked_item), str(seeded.retrying_item)]
    routes = dashboard_routes(fuzzed.site.settings)
    assert {"/leads/{lead_id}", "/outbox/{item_id}/{action}", "/charts"} <= {r.path for r in routes}
    for route in routes:
        for name in USERS:
            _fuzz(fuzzed, route, name, known_ids)


def _fuzz(fuzzed: Fuzzed, route: Route, name: str, known_ids: list[str]) -> None:
    @PER_ROUTE_AND_ROLE
    @given(call=calls(route, known_ids))
    def one(call: Call) -> None:
        status, text = fuzzed.answer(name, call)
        assert status < 500, f"{name} ({USERS[name]}): {call} → {status} {text}"

    one()
