"""deploy/prometheus and deploy/grafana: every metric and label they query is one leadbridge
exposes (src/leadbridge/metrics.py), annotations and titles are Russian, severities are set."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import CollectorRegistry

from leadbridge import metrics
from leadbridge.config import Settings
from tests.deploy.files import ALERTS, DASHBOARD, EXAMPLE_TOML, PROMETHEUS_CONFIG

# Series suffixes prometheus_client adds to a family's name, by type.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}
# Prometheus' own series the files use: the scrape's `up` and the blackbox probe of /readyz.
NOT_OURS = {"up": {"job", "instance"}, "probe_success": {"job", "instance"}}
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"job", "instance"}
SEVERITIES = {"critical", "warning", "info"}
CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")

OUR_NAME = re.compile(r"\bleadbridge_[a-z0-9_]+\b")
SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def families() -> dict[str, dict[str, set[str]]]:
    """Every family leadbridge.metrics defines: its series names, each with the labels it may
    carry."""
    found: dict[str, dict[str, set[str]]] = {}
    for defined in vars(metrics).values():
        if isinstance(defined, type | CollectorRegistry) or not hasattr(defined, "collect"):
            continue
        collector = defined
        if isinstance(defined, MetricWrapperBase):
            labels = set(defined._labelnames)
        elif isinstance(defined, metrics.LoopMetrics):
            labels = {"loop"}
            collector = metrics.LoopMetrics()  # the module's one is empty until scraped
            collector.restarts, collector.last_pass_s = {"relay": 1}, {"relay": 1.0}
        else:
            raise AssertionError(f"a collector the test does not know: {type(defined)}")
        for family in collector.collect():
            assert all(set(sample.labels) <= labels | {"le"} for sample in family.samples)
            found[family.name] = {
                family.name + suffix: labels | ({"le"} if suffix == "_bucket" else set())
                for suffix in SUFFIXES[family.type]
            }
    return found


def exposed() -> dict[str, set[str]]:
    """Every series name leadbridge exposes, with the labels it may carry."""
    return {name: labels for series in families().values() for name, labels in series.items()}


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def panels(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "gridPos" in node:
            yield node
        for value in node.values():
            yield from panels(value)
    elif isinstance(node, list):
        for item in node:
            yield from panels(item)


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def dashboard_exprs() -> list[str]:
    return [target["expr"] for panel in panels(dashboard()) for target in panel.get("targets", [])]


def queries() -> list[tuple[str, str]]:
    """(where, PromQL) of every alert rule and dashboard panel."""
    found = [(f"alert {rule['alert']}", str(rule["expr"])) for rule in alert_rules()]
    found += [(f"dashboard: {expr}", expr) for expr in dashboard_exprs()]
    return found


def problems_of(expr: str, names: dict[str, set[str]]) -> list[str]:
    """What in `expr` leadbridge does not expose: unknown names, unknown labels."""
    problems = [f"no metric {name}" for name in OUR_NAME.findall(expr) if name not in names]
    used_labels: set[str] = set()
    for name, matchers in SELECTOR.findall(expr):
        known = names.get(name, NOT_OURS.get(name))
        if known is None:
            problems.append(f"a series of another program: {name}")
            continue
        used_labels |= known
        problems += [
            f"{name} has no label {label}"
            for label in MATCHER.findall(matchers)
            if label not in known | TARGET_LABELS
        ]
    used_labels |= {label for name in OUR_NAME.findall(expr) for label in names.get(name, set())}
    for grouping in GROUPING.findall(expr):
        for label in (part.strip() for part in grouping.split(",")):
            if label and label not in used_labels | TARGET_LABELS:
                problems.append(f"grouping by {label}, which no series of the query has")
    return problems


def test_the_exposed_names_are_what_prometheus_client_writes() -> None:
    names = exposed()

    assert "leadbridge_webhooks_total" in names
    assert "leadbridge_webhooks" not in names  # a counter's family name is never a series
    assert names["leadbridge_limiter_wait_seconds_bucket"] == {"limiter", "le"}
    assert names["leadbridge_loop_restarts_total"] == {"loop"}
    assert names["leadbridge_outbox_items"] == {"state"}


def test_the_checker_finds_a_wrong_name_or_label() -> None:
    names = exposed()

    assert problems_of('max by (state) (leadbridge_outbox_items{state="parked"})', names) == []
    assert problems_of("rate(leadbridge_webhooks[5m])", names) == ["no metric leadbridge_webhooks"]
    assert problems_of('leadbridge_outbox_items{sate="parked"}', names) == [
        "leadbridge_outbox_items has no label sate"
    ]
    assert problems_of("max by (kind) (leadbridge_outbox_items)", names) == [
        "grouping by kind, which no series of the query has"
    ]
    assert problems_of('node_load1{job="x"}', names) == ["a series of another program: node_load1"]


@pytest.mark.parametrize(("where", "expr"), queries())
def test_every_query_uses_what_leadbridge_exposes(where: str, expr: str) -> None:
    assert problems_of(expr, exposed()) == [], where


def test_the_rules_and_the_dashboard_cover_every_metric() -> None:
    """Every family of metrics.py is alerted on or shown, so that none is forgotten."""
    used = {name for _where, expr in queries() for name in OUR_NAME.findall(expr)}

    assert [family for family, series in families().items() if not used & set(series)] == []


def test_every_alert_has_a_severity_and_russian_annotations() -> None:
    rules = alert_rules()
    assert len(rules) >= 20
    assert len({rule["alert"] for rule in rules}) == len(rules)
    for rule in rules:
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        for key in ("summary", "description"):
            assert CYRILLIC.search(rule["annotations"][key]), f"{rule['alert']}: {key}"


def test_the_alerts_name_the_jobs_the_scrape_config_defines() -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    used = {job for rule in alert_rules() for job in re.findall(r'job="([^"]+)"', rule["expr"])}
    used |= {job for expr in dashboard_exprs() for job in re.findall(r'job="([^"]+)"', expr)}

    assert used == jobs == {"leadbridge", "leadbridge-readyz"}
    assert ALERTS.name in config["rule_files"][0]


def test_prometheus_scrapes_the_port_of_the_example_settings() -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    example = tomllib.loads(EXAMPLE_TOML.read_text(encoding="utf-8"))
    web = Settings.model_validate({"web": example["web"]}).web
    address = f"{web.host}:{web.port}"
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }

    assert targets["leadbridge"] == [address]
    assert targets["leadbridge-readyz"] == [f"http://{address}/readyz"]


def test_the_dashboard_is_importable_and_russian() -> None:
    board = dashboard()
    all_panels = list(panels(board))
    assert board["uid"]
    assert board["title"]
    assert [variable["type"] for variable in board["templating"]["list"]] == ["datasource"]
    assert len({panel["id"] for panel in all_panels}) == len(all_panels)
    for panel in all_panels:
        assert CYRILLIC.search(panel["title"]), panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_no_two_dashboard_panels_overlap() -> None:
    taken: dict[tuple[int, int], str] = {}
    for panel in panels(dashboard()):
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, f"{panel['title']} overlaps {taken[(x, y)]}"
                taken[(x, y)] = panel["title"]
