"""The alert rules and the scrape config through Prometheus' own `promtool` (Debian's prometheus
package): valid, and each alert fires on the series it is meant for and not on its neighbours'."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.files import ALERTS, DASHBOARD, PROMETHEUS_CONFIG, tool

WEB = 'job="leadbridge", instance="127.0.0.1:8080"'
AVITO_APPLY = 'api="avito", method="POST /partner/buyout/{id}/leads/statuses/apply"'


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args], capture_output=True, text=True, check=False, timeout=60
    )


def alert(name: str, at: str, *fired: dict[str, str]) -> dict[str, Any]:
    return {
        "eval_time": at,
        "alertname": name,
        "exp_alerts": [{"exp_labels": labels} for labels in fired],
    }


# Each case: input series (one sample a minute) and what the alerts must be at given times.
CASES: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {
    "a parked status, seen by two web processes, is one alert after 5 minutes": (
        {
            f'leadbridge_outbox_items{{{WEB}, state="parked"}}': "0 0 2x20",
            'leadbridge_outbox_items{job="leadbridge", instance="b:8080", state="parked"}': (
                "0 0 2x20"
            ),
            f'leadbridge_outbox_items{{{WEB}, state="sent"}}': "5x22",
        },
        [
            alert("LeadbridgeStatusesParked", "5m"),
            alert(
                "LeadbridgeStatusesParked",
                "8m",
                {"severity": "warning", "job": "leadbridge", "state": "parked"},
            ),
        ],
    ),
    "statuses waiting 15 minutes: a warning, not yet critical": (
        {f"leadbridge_outbox_oldest_pending_seconds{{{WEB}}}": "0 0 900x20"},
        [
            alert(
                "LeadbridgeStatusesNotLeaving",
                "10m",
                {"severity": "warning", "job": "leadbridge"},
            ),
            alert("LeadbridgeStatusesStuck", "10m"),
        ],
    ),
    "the relay stalls; the feed's slower period is not a stall of a flow": (
        {
            f'leadbridge_loop_last_pass_seconds{{{WEB}, loop="relay"}}': "30x3 200x10",
            f'leadbridge_loop_last_pass_seconds{{{WEB}, loop="feed"}}': "200x13",
        },
        [
            alert("LeadbridgeFlowStalled", "3m"),
            alert("LeadbridgeFlowStalled", "10m", {"severity": "critical", "loop": "relay"}),
            alert("LeadbridgePollStalled", "10m"),
            alert("LeadbridgeNoWorker", "10m"),
        ],
    ),
    "web is up but no process runs the flows": (
        {
            f"up{{{WEB}}}": "1x10",
            f"leadbridge_outbox_items{{{WEB}, state='sent'}}": "1x10",
        },
        [
            alert(
                "LeadbridgeNoWorker",
                "5m",
                {"severity": "critical", "job": "leadbridge", "loop": "relay"},
            ),
            alert("LeadbridgeDown", "5m"),
        ],
    ),
    "web does not answer the scrape": (
        {f"up{{{WEB}}}": "1 0x10"},
        [
            alert(
                "LeadbridgeDown",
                "5m",
                {"severity": "critical", "job": "leadbridge", "instance": "127.0.0.1:8080"},
            ),
        ],
    ),
    "readyz answers 503": (
        {
            'probe_success{job="leadbridge-readyz", instance="http://127.0.0.1:8080/readyz"}': (
                "1 0x10"
            )
        },
        [
            alert(
                "LeadbridgeNotReady",
                "8m",
                {
                    "severity": "critical",
                    "job": "leadbridge-readyz",
                    "instance": "http://127.0.0.1:8080/readyz",
                },
            ),
        ],
    ),
    "amoCRM refuses the token: that alert, and not the block's": (
        {
            f'leadbridge_api_requests_total{{{WEB}, api="amocrm", '
            'method="POST /{id}/access_token", status="403"}': "0 0 1x10",
            f'leadbridge_api_requests_total{{{WEB}, api="amocrm", '
            'method="GET /api/{id}/account", status="200"}': "0+3x12",
        },
        [
            alert("LeadbridgeAmoTokenRefused", "5m", {"severity": "critical"}),
            alert("LeadbridgeAmoBlocked", "5m"),
        ],
    ),
    "amoCRM blocks the account's API": (
        {
            f'leadbridge_api_requests_total{{{WEB}, api="amocrm", '
            'method="POST /api/{id}/leads/complex", status="403"}': "0 0 1x10",
        },
        [
            alert("LeadbridgeAmoBlocked", "5m", {"severity": "critical"}),
            alert("LeadbridgeAmoTokenRefused", "5m"),
        ],
    ),
    "Avito answers a third of its requests 5xx for 10 minutes; a few 429 are no alarm": (
        {
            f'leadbridge_api_requests_total{{{WEB}, {AVITO_APPLY}, status="200"}}': "0+10x40",
            f'leadbridge_api_requests_total{{{WEB}, {AVITO_APPLY}, status="502"}}': "0+5x40",
            f'leadbridge_api_requests_total{{{WEB}, {AVITO_APPLY}, status="429"}}': "0+0.2x40",
        },
        [
            alert("LeadbridgeAvitoErrors", "8m"),  # pending: `for: 10m`
            alert("LeadbridgeAvitoErrors", "25m", {"severity": "warning"}),
            alert("LeadbridgeAvitoRateLimited", "25m"),
        ],
    ),
    "an event in quarantine; Avito's breaking change is critical, a new field only a note": (
        {
            f'leadbridge_quarantined_events{{{WEB}, source="amocrm"}}': "0 0 1x10",
            f'leadbridge_quarantined_events{{{WEB}, source="avito"}}': "0x12",
            f'leadbridge_avito_contract_drift_total{{{WEB}, kind="endpoint_gone"}}': "0 0 2x10",
            f'leadbridge_avito_contract_drift_total{{{WEB}, kind="unknown_field"}}': "0 0 1x10",
            f'leadbridge_avito_contract_drift_total{{{WEB}, kind="quarantined"}}': "0x12",
        },
        [
            alert("LeadbridgeEventsQuarantined", "5m", {"severity": "warning", "source": "amocrm"}),
            alert(
                "LeadbridgeAvitoContractBroken",
                "5m",
                {"severity": "critical", "kind": "endpoint_gone"},
            ),
            alert(
                "LeadbridgeAvitoContractDrift", "5m", {"severity": "info", "kind": "unknown_field"}
            ),
        ],
    ),
    "an alert channel failing for 15 minutes, another failing once and delivering again": (
        {
            f'leadbridge_alert_channel_failing{{{WEB}, channel="telegram"}}': "0 1x30",
            f'leadbridge_alert_channel_failing{{{WEB}, channel="email"}}': "0 1 0x30",
        },
        [
            alert("LeadbridgeAlertChannelFailing", "10m"),
            alert(
                "LeadbridgeAlertChannelFailing",
                "20m",
                {"severity": "warning", "channel": "telegram", "job": "leadbridge"},
            ),
        ],
    ),
    "a loop restarted once": (
        {f'leadbridge_loop_restarts_total{{{WEB}, loop="deals"}}': "0 0 0 1x10"},
        [alert("LeadbridgeLoopRestarting", "5m", {"severity": "warning", "loop": "deals"})],
    ),
    "limiter waits over a second at the 95th percentile for half an hour": (
        {
            f'leadbridge_limiter_wait_seconds_bucket{{{WEB}, limiter="avito_status_apply", '
            f'le="{le}"}}': f"0+{per_minute}x50"
            for le, per_minute in (("0.5", 0), ("1.0", 1), ("2.5", 10), ("+Inf", 10))
        },
        [
            alert(
                "LeadbridgeLimiterSaturated",
                "45m",
                {"severity": "warning", "limiter": "avito_status_apply"},
            )
        ],
    ),
}


def without_annotations(rules: Path, into: Path) -> Path:
    """The rules as they are, less their (Russian, templated) annotations: the cases check when
    alerts fire and with which labels; the annotations are checked by `check rules`."""
    document = yaml.safe_load(rules.read_text(encoding="utf-8"))
    for group in document["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    copy = into / "rules.yml"
    copy.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return copy


def test_the_alert_rules_pass_promtool() -> None:
    checked = promtool("check", "rules", str(ALERTS))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_the_example_prometheus_config_and_its_rule_file_pass_promtool(tmp_path: Path) -> None:
    shutil.copy(PROMETHEUS_CONFIG, tmp_path / "prometheus.yml")
    shutil.copy(ALERTS, tmp_path / ALERTS.name)  # rule_files names it next to the config

    checked = promtool("check", "config", str(tmp_path / "prometheus.yml"))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 rule files found" in checked.stdout


@pytest.mark.parametrize("case", CASES)
def test_the_alerts_fire_when_they_should(case: str, tmp_path: Path) -> None:
    series, expectations = CASES[case]
    unit = {
        "rule_files": [str(without_annotations(ALERTS, tmp_path))],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": name, "values": values} for name, values in series.items()
                ],
                "alert_rule_test": expectations,
            }
        ],
    }
    test_file = tmp_path / "unit.yml"
    test_file.write_text(yaml.safe_dump(unit), encoding="utf-8")

    tested = promtool("test", "rules", str(test_file))

    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_a_wrong_expectation_fails_the_promtool_unit_test(tmp_path: Path) -> None:
    """The cases above can fail: an alert expected where the series do not call for one."""
    unit = {
        "rule_files": [str(without_annotations(ALERTS, tmp_path))],
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": f'leadbridge_outbox_items{{{WEB}, state="parked"}}',
                        "values": "0x20",
                    }
                ],
                "alert_rule_test": [
                    alert("LeadbridgeStatusesParked", "10m", {"severity": "warning"}),
                ],
            }
        ],
    }
    test_file = tmp_path / "unit.yml"
    test_file.write_text(yaml.safe_dump(unit), encoding="utf-8")

    assert promtool("test", "rules", str(test_file)).returncode != 0


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    """Each panel's query as a recording rule, which promtool parses (Grafana's $__rate_interval
    and $__range become durations)."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [
        target["expr"].replace("$__rate_interval", "5m").replace("$__range", "1d")
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"leadbridge_dashboard:query_{index}", "expr": expr}
                    for index, expr in enumerate(exprs)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")

    checked = promtool("check", "rules", str(path))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(exprs)} rules found" in checked.stdout
    assert len(exprs) >= 20
