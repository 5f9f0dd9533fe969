"""`leadbridge avito quarantine list|show|replay` as an operator runs them after Avito changed
its payload: what is held back, why, and the replay once the mapping follows the change."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.acceptance.test_cli import _leadbridge, clean_env  # noqa: F401  (fixture)

from leadbridge.avito.payload import PayloadError
from leadbridge.sandbox.api_break import MAPPING_AFTER_BREAK
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.intake import quarantine_avito

AFTER_BREAK = MAPPING_AFTER_BREAK


def _held_back(url: str, bodies: list[bytes]) -> None:
    async def keep() -> None:
        db = Database(url)
        try:
            for body in bodies:
                error = PayloadError("lead payload has no buyout price", "lead.buyout_price")
                await quarantine_avito(db, channel="webhook", raw=body, error=error)
        finally:
            await db.dispose()

    upgrade(url)
    asyncio.run(keep())


def _envelopes_after_the_break(count: int) -> list[bytes]:
    factory, bodies = LeadFactory(seed=7), []
    for _ in range(count):
        lead = factory.make()
        lead["offer"] = {"price": lead.pop("buyoutPrice") / 100, "currency": "RUB"}
        body = {"id": f"e-{lead['id']}", "payload": {"type": "lead.created", "lead": lead}}
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


def test_list_show_and_replay_under_the_fixed_mapping(
    clean_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    env = {**clean_env, "LEADBRIDGE_DATABASE_URL": url}
    _held_back(url, _envelopes_after_the_break(2))

    listed = _leadbridge("avito", "quarantine", "list", "--json", env=env, cwd=tmp_path)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    shown = _leadbridge("avito", "quarantine", "show", str(rows[0]["id"]), env=env, cwd=tmp_path)
    unknown = _leadbridge("avito", "quarantine", "show", "999", env=env, cwd=tmp_path)
    neither = _leadbridge("avito", "quarantine", "replay", env=env, cwd=tmp_path)
    still = _leadbridge("avito", "quarantine", "replay", "--all", env=env, cwd=tmp_path)
    fixed = {**env, "LEADBRIDGE_AVITO__MAPPING_FILE": str(AFTER_BREAK)}
    replayed = _leadbridge("avito", "quarantine", "replay", "--all", env=fixed, cwd=tmp_path)
    after = _leadbridge("avito", "quarantine", "list", env=fixed, cwd=tmp_path)

    assert listed.returncode == 0, listed.stderr
    assert [row["reason"] for row in rows] == ["lead payload has no buyout price"] * 2
    assert shown.returncode == 0
    assert '"offer": {' in shown.stdout
    assert "reason: lead payload has no buyout price" in shown.stdout
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2,
        "leadbridge: error: no Avito event 999 in quarantine",
    )
    assert neither.returncode == 2
    assert json.loads(still.stdout.splitlines()[-1]) == {
        "replayed": 0,
        "leads_created": 0,
        "still_quarantined": 2,
        "statuses_resent": 0,
    }
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout.splitlines()[-1]) == {
        "replayed": 2,
        "leads_created": 2,
        "still_quarantined": 0,
        "statuses_resent": 0,
    }
    assert after.stdout == ""
    assert "0 held back" in after.stderr
