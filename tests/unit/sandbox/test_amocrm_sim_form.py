"""The simulator's webhook form encoder and its in-memory account, without HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.amocrm.webhook import parse_form, parse_webhook
from leadbridge.sandbox.amocrm import AmoSandbox, AmoSandboxConfig
from leadbridge.sandbox.amocrm.webhooks import encode_webhook_form


def test_nested_dicts_and_lists_become_php_style_keys() -> None:
    body = encode_webhook_form(
        {"leads": {"status": [{"id": 7, "tags": [{"name": "avito"}]}]}, "account": {"id": 1}}
    )

    assert parse_qsl(body) == [
        ("leads[status][0][id]", "7"),
        ("leads[status][0][tags][0][name]", "avito"),
        ("account[id]", "1"),
    ]


def test_values_are_strings_and_none_is_empty() -> None:
    pairs = parse_qsl(encode_webhook_form({"a": {"n": None, "b": True, "t": "Сайт & Co"}}), True)

    assert pairs == [("a[n]", ""), ("a[b]", "True"), ("a[t]", "Сайт & Co")]


def test_a_status_payload_reads_back_through_the_bridges_parser() -> None:
    item = {"id": 25399013, "status_id": 142, "old_status_id": 7039101, "pipeline_id": 9217056}
    item |= {"old_pipeline_id": 9217056, "last_modified": 1413554372}
    body = encode_webhook_form(
        {"leads": {"status": [item]}, "account": {"subdomain": "example", "id": 7039099}}
    )

    hook = parse_webhook(body)

    assert (hook.account_id, hook.subdomain) == (7039099, "example")
    assert len(hook.status_changes) == 1


keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
leaves = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=8)
trees: st.SearchStrategy[Any] = st.recursive(
    leaves,
    lambda inner: (
        st.dictionaries(keys, inner, min_size=1, max_size=3)
        | st.lists(inner, min_size=1, max_size=3)
    ),
    max_leaves=12,
)


@given(st.dictionaries(keys, trees, min_size=1, max_size=3))
def test_encoding_round_trips_through_a_php_style_parser(payload: dict[str, Any]) -> None:
    assert parse_form(encode_webhook_form(payload)) == payload


def test_a_new_account_has_a_main_pipeline_and_phone_and_email_fields() -> None:
    state = AmoSandbox(AmoSandboxConfig(subdomain="rehearsal", account_id=5)).state_json()

    (pipeline,) = state["pipelines"]
    assert (pipeline["name"], pipeline["is_main"]) == ("Воронка", True)
    statuses = {s["id"]: s for s in pipeline["_embedded"]["statuses"]}
    assert {142, 143} <= set(statuses)
    assert [s["type"] for s in statuses.values()].count(1) == 1
    assert {f["code"] for f in state["custom_fields"]["contacts"]} == {"PHONE", "EMAIL"}
    assert state["account"]["subdomain"] == "rehearsal"
    assert state["leads"] == state["events"] == state["webhooks"] == []


def test_codes_and_person_tokens_are_distinct_each_time() -> None:
    sandbox = AmoSandbox()

    codes = {sandbox.issue_auth_code() for _ in range(20)}
    tokens = {sandbox.issue_person_token() for _ in range(20)}

    assert len(codes) == len(tokens) == 20
    assert all(token.count(".") == 2 for token in tokens)


@pytest.mark.anyio
async def test_closing_an_idle_sandbox_is_harmless() -> None:
    sandbox = AmoSandbox()
    await sandbox.aclose()
    await sandbox.aclose()
