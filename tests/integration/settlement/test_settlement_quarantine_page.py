"""The dashboard's week page and its XLSX show a line of Avito's that could not be read, with the
reason, after the check button — on both databases, against the simulator over real HTTP."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from tests.dashboard_site import cells, served_site
from tests.integration.settlement.changed_avito import changed_avito, extra_lines

from leadbridge.config import AvitoSettings, Settings, WebSettings
from leadbridge.domain.periods import Week
from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
THIS_WEEK = Week.of(datetime.now(UTC))
IN_RUBLES = "amount: нужны целые копейки, найдено 1500.5"
LABEL = "Строка Авито не распознана"


async def test_the_week_shows_an_unreadable_line_with_its_reason(database_url: str) -> None:
    in_rubles = {
        "lineId": "x-1:commission",
        "leadId": "x-1",
        "type": "commission",
        "amount": 1500.5,
        "basePrice": 3_000_000,
        "occurredAt": THIS_WEEK.starts_at.isoformat(),
    }
    config = AvitoSandboxConfig(method_rps={})
    async with (
        serve(create_avito_app(config)) as simulator,
        changed_avito(simulator) as avito,
    ):
        avito.rewrite = extra_lines(in_rubles)
        settings = Settings(
            database_url=database_url,
            web=WebSettings(webhook_token="t"),
            avito=AvitoSettings(
                base_url=avito.url, client_id=config.client_id, client_secret=config.client_secret
            ),
        )
        async with served_site(settings) as site, site.logged_in("fedor") as (http, csrf):
            checked = await http.post(
                f"/settlements/{THIS_WEEK.name}/check",
                data={"csrf_token": csrf, "confirm": "yes"},
                follow_redirects=True,
            )
            xlsx = await http.get(f"/settlements/{THIS_WEEK.name}/export.xlsx")

    assert checked.status_code == 200
    assert "Сверка с Авито выполнена" in checked.text
    unreadable = [row for row in cells(checked.text, "diff") if row[0] == LABEL]
    # The page reads the line's key as "<lead> · <kind>"; the XLSX keeps the key itself.
    assert unreadable == [[LABEL, "x-1 · комиссия", "—", "—", "—", IN_RUBLES]]
    # The download carries the stored check, the unreadable line included, without asking again.
    book = load_workbook(io.BytesIO(xlsx.content))
    exceptions = list(book["Расхождения"].iter_rows(min_row=2, values_only=True))
    assert [row for row in exceptions if row[0] == LABEL] == [
        (LABEL, "x-1:commission", "x-1", "комиссия", None, None, None, IN_RUBLES)
    ]
    summary = {row[0]: row[1] for row in book["Сводка"].iter_rows(values_only=True)}
    assert summary["Из них строк Авито не распознано"] == 1
