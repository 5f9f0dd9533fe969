"""An integrator's rehearsal: `leadbridge sandbox serve` in one process, `leadbridge run`
configured by environment variables in another, talking over real HTTP."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.acceptance.processes import (
    LEADBRIDGE,
    bridge_env,
    eventually,
    free_port,
    http_status,
    sandbox_serve,
)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with sandbox_serve(tmp_path) as credentials:
        yield credentials


def test_run_carries_a_request_to_amocrm_and_a_stage_back_to_avito(
    sandbox: dict[str, Any], tmp_path: Path
) -> None:
    avito, amocrm = sandbox["avito"], sandbox["amocrm"]
    port = free_port()
    env = bridge_env(sandbox, f"sqlite:///{tmp_path / 'bridge.db'}", port)
    bridge = subprocess.Popen(
        [*LEADBRIDGE, "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        web = f"http://127.0.0.1:{port}"
        eventually(lambda: http_status(web + "/healthz") == 200)
        lead = httpx.post(avito["base_url"] + "/sandbox/leads", json={}).json()

        deal = eventually(lambda: _deal_of(amocrm["base_url"], lead["id"]))
        person = httpx.post(amocrm["base_url"] + "/sandbox/person-token").json()["access_token"]
        pipeline = _pipeline(amocrm["base_url"], person, deal["pipeline_id"])
        contacted = next(s["id"] for s in pipeline if s["name"] == "Связались с продавцом")
        moved = httpx.patch(
            f"{amocrm['base_url']}/api/v4/leads/{deal['id']}",
            json={"status_id": contacted},
            headers={"Authorization": f"Bearer {person}"},
        )
        assert moved.status_code == 200

        history = eventually(lambda: _avito_history(avito["base_url"], lead["id"], 2))
        assert [step["status"] for step in history] == ["accepted", "contacted"]
        assert "leadbridge_outbox_items" in httpx.get(web + "/metrics").text
    finally:
        bridge.send_signal(signal.SIGTERM)
        code = bridge.wait(timeout=30)
        logs = bridge.stderr.read() if bridge.stderr else ""
    assert code == 0, logs[-2000:]
    assert lead["seller"]["phone"] not in logs
    assert lead["seller"]["name"] not in logs


def _deal_of(amocrm_url: str, avito_id: str) -> dict[str, Any] | None:
    for deal in httpx.get(amocrm_url + "/sandbox/state").json()["leads"]:
        for field in deal.get("custom_fields_values") or []:
            if (
                field.get("field_code") == "AVITO_LEAD_ID"
                and field["values"][0]["value"] == avito_id
            ):
                return dict(deal)
    return None


def _pipeline(amocrm_url: str, token: str, pipeline_id: int) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{amocrm_url}/api/v4/leads/pipelines", headers={"Authorization": f"Bearer {token}"}
    ).json()
    pipeline = next(p for p in answer["_embedded"]["pipelines"] if p["id"] == pipeline_id)
    return list(pipeline["_embedded"]["statuses"])


def _avito_history(avito_url: str, lead_id: str, length: int) -> list[dict[str, Any]] | None:
    for lead in httpx.get(avito_url + "/sandbox/state").json()["leads"]:
        if lead["id"] == lead_id and len(lead["history"]) >= length:
            return list(lead["history"])
    return None
