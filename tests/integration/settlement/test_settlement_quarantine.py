"""Avito changes its settlement answer: every line is kept as received, what cannot be read is
quarantined and shown to finance, the rest of the week is settled — and settling again after
the fix doubles nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from tests.integration.settlement.changed_avito import amount_in_rubles, extra_lines
from tests.integration.settlement.world import START, WEEK, World, world

from leadbridge.domain.settlement import ONLY_AVITO, ONLY_OURS
from leadbridge.domain.settlement_quarantine import QUARANTINED, WHOLE_ANSWER
from leadbridge.settlement.command import report
from leadbridge.store import contract_drift
from leadbridge.store import settlement as store
from leadbridge.store import settlement_answers as answers

pytestmark = pytest.mark.anyio
DAY = timedelta(days=1)
IN_RUBLES = "amount: нужны целые копейки, найдено 1500.5"
NO_LINES = "ответ: нужен объект со списком result, найдено "


async def _kept(w: World) -> list[tuple[int | None, Any, str | None]]:
    async with w.db.transaction() as session:
        rows = await answers.kept(session, WEEK)
    return [(row.position, json.loads(row.body), row.reason) for row in rows]


async def _stored_diff(w: World) -> list[tuple[str, str, str | None]]:
    async with w.db.transaction() as session:
        rows = await store.exceptions(session, WEEK)
    return [(row.outcome, row.line_key, row.reason) for row in rows]


async def _drift(w: World) -> dict[tuple[str, str], int]:
    async with w.db.transaction() as session:
        rows = await contract_drift.listing(session)
    return {(row.kind, row.name): row.seen for row in rows}


async def test_a_line_in_rubles_is_quarantined_the_rest_settles_and_nothing_doubles(
    database_url: str, tmp_path: Path
) -> None:
    async with world(database_url) as w:
        for number in (1, 2, 3):
            await w.buyout(f"q-{number}", 30_000, START + number * DAY)
        w.changed.rewrite = amount_in_rubles("q-2")
        sent = w.avito.sandbox.settlement(WEEK.monday, WEEK.next_monday)
        amount_in_rubles("q-2")(sent)  # in place: the answer as Avito sends it after its change
        first = await w.settle(export_dir=tmp_path)
        again = await w.settle(export_dir=tmp_path)
        kept_twice, stored, drift = await _kept(w), await _stored_diff(w), await _drift(w)
        w.changed.rewrite = None  # Avito rolls its change back
        fixed = await w.settle()
        kept_after_fix, stored_after_fix = await _kept(w), await _stored_diff(w)

    assert first.diff is not None
    assert first.diff.matched == 2  # q-1 and q-3
    assert first.diff_json() == [
        {"week": WEEK.name, "outcome": ONLY_OURS, "line": "q-2:commission", "ours": 150_000,
         "avito": None},
        {"week": WEEK.name, "outcome": QUARANTINED, "line": "q-2:commission", "ours": None,
         "avito": None, "reason": IN_RUBLES},
    ]  # fmt: skip
    assert [(line.avito_lead_id, line.kind, line.position) for line in first.quarantined] == [
        ("q-2", "commission", 1)
    ]
    assert report(first)[1:] == [
        "diff with Avito: 2 matched, 2 not (1 of Avito's lines quarantined: unreadable)",
        "  only_ours q-2:commission: ours 1500.00 ₽, Avito —",
        f"  quarantined q-2:commission: {IN_RUBLES}",
        f"wrote {tmp_path / 'settlement-2026-W19.xlsx'}",
        f"wrote {tmp_path / 'settlement-2026-W19.csv'}",
    ]
    # Every line as Avito sent it, the unreadable one with its reason; twice settled, once kept.
    assert kept_twice == [
        (0, sent["result"][0], None),
        (1, sent["result"][1], IN_RUBLES),
        (2, sent["result"][2], None),
    ]
    assert sent["result"][1]["amount"] == 1500.5
    assert again.diff_json() == first.diff_json()
    assert stored == [
        (ONLY_OURS, "q-2:commission", None),
        (QUARANTINED, "q-2:commission", IN_RUBLES),
    ]
    assert drift == {("quarantined", "settlement.amount"): 2}  # one sighting per check

    book = load_workbook(tmp_path / "settlement-2026-W19.xlsx")
    exceptions = list(book["Расхождения"].iter_rows(values_only=True))
    assert exceptions[0][-1] == "Причина"
    assert exceptions[2] == (
        "Строка Авито не распознана",
        "q-2:commission",
        "q-2",
        "комиссия",
        None,
        None,
        None,
        IN_RUBLES,
    )
    assert len(exceptions) == 3
    summary = {row[0]: row[1] for row in book["Сводка"].iter_rows(values_only=True)}
    assert summary["Совпало с Авито"] == 2
    assert summary["Расхождений"] == 2
    assert summary["Из них строк Авито не распознано"] == 1

    # Fixed on Avito's side: the week matches, and the line once sent in rubles is still kept.
    assert fixed.diff is not None
    assert (fixed.diff.matched, fixed.diff_json()) == (3, [])
    assert stored_after_fix == []
    latest = sorted(
        (position, body["amount"]) for position, body, _ in kept_after_fix if position is not None
    )
    assert latest == [(0, 150_000), (1, 150_000), (2, 150_000)]
    assert [(row[0], row[2]) for row in kept_after_fix if row[0] is None] == [(None, IN_RUBLES)]
    assert len(kept_after_fix) == 4


async def test_a_new_row_type_passes_through_and_an_answer_without_lines_is_kept_whole(
    database_url: str,
) -> None:
    dispute = {
        "lineId": "n-1:dispute",
        "leadId": "n-1",
        "type": "dispute",
        "amount": -5_000,
        "occurredAt": "2026-05-06T10:00:00+03:00",
        "disputeId": "d-7",
    }
    async with world(database_url) as w:
        await w.buyout("n-1", 30_000, START)
        w.changed.rewrite = extra_lines(dispute)
        with_dispute = await w.settle()
        w.changed.rewrite = lambda answer: {"rows": answer["result"]}  # the list renamed
        renamed = await w.settle()
        w.changed.rewrite = lambda _answer: "<html>Bad gateway</html>"  # not JSON at all
        not_json = await w.settle()
        kept, stored, drift = await _kept(w), await _stored_diff(w), await _drift(w)

    assert with_dispute.diff is not None
    assert with_dispute.diff.matched == 1
    assert [
        (item["outcome"], item["line"], item["avito"]) for item in with_dispute.diff_json()
    ] == [(ONLY_AVITO, "n-1:dispute", -5_000)]
    # Nothing could be compared: our line is not reported as "only ours", it is still counted.
    assert renamed.diff is not None
    assert (renamed.diff.matched, renamed.diff.discrepancies) == (0, [])
    assert renamed.tally.lines == 1
    assert [line.key for line in renamed.quarantined] == [WHOLE_ANSWER]
    assert renamed.quarantined[0].reason.startswith(NO_LINES + '{"rows": [{')
    assert not_json.quarantined[0].reason == NO_LINES + '"<•••••••••••••••••••••••"'
    assert stored == [(QUARANTINED, WHOLE_ANSWER, not_json.quarantined[0].reason)]
    latest = [(body, reason) for position, body, reason in kept if position is not None]
    assert latest == [("<html>Bad gateway</html>", not_json.quarantined[0].reason)]
    assert len(kept) == 4  # n-1's line, the dispute, the renamed answer, the page
    assert drift == {
        ("unknown_enum_value", "settlement.type=dispute"): 1,
        ("unknown_field", "settlement.disputeId"): 1,
        ("unknown_answer", "settlement answer"): 2,
    }
