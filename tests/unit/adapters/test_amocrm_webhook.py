from __future__ import annotations

from urllib.parse import urlencode

import pytest

from leadbridge.amocrm.webhook import WebhookFormatError, parse_form, parse_webhook

# The shape of a real status_lead delivery (reference §9.2), v2 field names, values as strings.
REAL_STATUS_BODY = urlencode(
    [
        ("leads[status][0][id]", "25399013"),
        ("leads[status][0][name]", "Lead title"),
        ("leads[status][0][status_id]", "142"),
        ("leads[status][0][old_status_id]", "7039101"),
        ("leads[status][0][pipeline_id]", "9217056"),
        ("leads[status][0][price]", "45000"),
        ("leads[status][0][responsible_user_id]", "123123"),
        ("leads[status][0][last_modified]", "1413554372"),
        ("leads[status][0][modified_user_id]", "123123"),
        ("leads[status][0][created_user_id]", "123123"),
        ("leads[status][0][date_create]", "1413554349"),
        ("leads[status][0][account_id]", "7039099"),
        ("leads[status][0][tags][0][id]", "80147"),
        ("leads[status][0][tags][0][name]", "avito"),
        ("leads[status][0][custom_fields][0][id]", "66339"),
        ("leads[status][0][custom_fields][0][name]", "Источник"),
        ("leads[status][0][custom_fields][0][values][0][value]", "Сайт"),
        ("leads[status][0][custom_fields][0][values][0][enum]", "139517"),
        ("account[subdomain]", "example"),
        ("account[id]", "7039099"),
    ]
)


def test_real_status_delivery_is_understood() -> None:
    hook = parse_webhook(REAL_STATUS_BODY)

    assert hook.account_id == 7039099
    assert hook.subdomain == "example"
    (change,) = hook.status_changes
    assert change.amo_lead_id == 25399013
    assert change.status_id == 142
    assert change.old_status_id == 7039101
    assert change.pipeline_id == 9217056
    assert change.price == 45000
    assert change.modified_at == 1413554372
    assert change.raw["custom_fields"][0]["values"][0]["enum"] == "139517"


def test_several_changes_and_unknown_sections_in_one_body() -> None:
    body = urlencode(
        [
            ("leads[status][1][id]", "2"),
            ("leads[status][1][status_id]", "20"),
            ("leads[status][0][id]", "1"),
            ("leads[status][0][status_id]", "10"),
            ("leads[delete][0][id]", "3"),
            ("talk[add][0][id]", "9"),
            ("account[id]", "1"),
        ]
    )
    hook = parse_webhook(body)
    assert [c.amo_lead_id for c in hook.status_changes] == [1, 2]
    assert hook.body["talk"]["add"][0]["id"] == "9"


def test_a_change_without_ids_is_skipped_not_fatal() -> None:
    hook = parse_webhook("leads[status][0][name]=x&account[id]=1")
    assert hook.status_changes == ()


@pytest.mark.parametrize("body", ["", "hello=world", '{"json": true}'])
def test_bodies_that_are_not_amocrm_webhooks_are_refused(body: str) -> None:
    with pytest.raises(WebhookFormatError):
        parse_webhook(body)


def test_php_style_keys_nest_and_index_sections_become_lists() -> None:
    assert parse_form("a[b][0][c]=1&a[b][1][c]=2&a[d]=x") == {
        "a": {"b": [{"c": "1"}, {"c": "2"}], "d": "x"}
    }
