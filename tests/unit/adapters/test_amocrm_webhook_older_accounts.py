"""Webhook bodies as older amoCRM accounts send them: the account named only in each item
(`leads[status][0][account_id]`, no `account[...]` keys), and no `last_modified`."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from leadbridge.amocrm.webhook import WebhookValueError, parse_webhook

OLDER_ACCOUNT_BODY = urlencode(
    [
        ("leads[status][0][id]", "25399013"),
        ("leads[status][0][name]", "iPhone 13 Pro"),
        ("leads[status][0][status_id]", "142"),
        ("leads[status][0][old_status_id]", "7039101"),
        ("leads[status][0][pipeline_id]", "9217056"),
        ("leads[status][0][price]", "45000"),
        ("leads[status][0][responsible_user_id]", "123123"),
        ("leads[status][0][modified_user_id]", "123123"),
        ("leads[status][0][created_user_id]", "123123"),
        ("leads[status][0][date_create]", "1413554349"),
        ("leads[status][0][account_id]", "7039099"),
    ]
)


def test_the_account_is_read_from_the_items_and_the_change_has_no_time() -> None:
    hook = parse_webhook(OLDER_ACCOUNT_BODY)

    assert (hook.account_id, hook.account_ids, hook.subdomain) == (
        7039099,
        frozenset({7039099}),
        None,
    )
    (change,) = hook.status_changes
    assert (change.amo_lead_id, change.old_status_id, change.status_id) == (
        25399013,
        7039101,
        142,
    )
    assert (change.pipeline_id, change.price, change.modified_at) == (9217056, 45000, None)


def test_a_time_of_zero_is_no_time() -> None:
    (change,) = parse_webhook(
        OLDER_ACCOUNT_BODY + "&leads[status][0][last_modified]=0"
    ).status_changes
    assert change.modified_at is None


def test_every_account_the_body_names_is_kept() -> None:
    """`account[id]` is the account; an item naming another makes the body one of two."""
    body = OLDER_ACCOUNT_BODY + "&account[id]=7039099&leads[update][0][id]=5"
    body += "&leads[update][0][account_id]=555"

    hook = parse_webhook(body)

    assert (hook.account_id, hook.account_ids) == (7039099, frozenset({7039099, 555}))


def test_items_of_two_accounts_without_account_section_name_no_single_account() -> None:
    body = OLDER_ACCOUNT_BODY + "&leads[status][1][id]=7&leads[status][1][status_id]=142"
    body += "&leads[status][1][account_id]=555"

    hook = parse_webhook(body)

    assert (hook.account_id, hook.account_ids) == (None, frozenset({7039099, 555}))
    assert len(hook.status_changes) == 2


def test_a_body_naming_no_account_at_all_names_none() -> None:
    hook = parse_webhook("leads[status][0][id]=1&leads[status][0][status_id]=142")
    assert (hook.account_id, hook.account_ids) == (None, frozenset())


@pytest.mark.parametrize("account", ["0", "-3", "9" * 25])
def test_an_item_account_id_that_cannot_be_is_refused(account: str) -> None:
    body = OLDER_ACCOUNT_BODY.replace("account_id%5D=7039099", f"account_id%5D={account}")
    assert body != OLDER_ACCOUNT_BODY

    with pytest.raises(WebhookValueError) as refused:
        parse_webhook(body)

    assert refused.value.field == "leads[status][0][account_id]"
