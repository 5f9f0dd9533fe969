"""What the simulator encodes the way amoCRM does, our parser reads back unchanged."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadbridge.amocrm.webhook import MAX_TIMESTAMP, parse_form, parse_webhook
from leadbridge.sandbox.amocrm.webhooks import encode_webhook_form

# Keys as amoCRM's PHP forms have them: no brackets, never a bare number (that is an index).
KEY_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz_0123456789имяцена")
keys = st.text(KEY_CHARS, min_size=1, max_size=12).filter(lambda key: not key.isdigit())
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
scalars = st.one_of(texts, st.integers(-(2**40), 2**40))

# Nested values like tags and v2 custom fields: dicts and non-empty lists of dicts.
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.dictionaries(keys, inner, min_size=1, max_size=4),
        st.lists(st.dictionaries(keys, inner, min_size=1, max_size=3), min_size=1, max_size=3),
    ),
    max_leaves=8,
)
ids = st.integers(1, 2**40)
STATUS_FIELDS = ("pipeline_id", "old_status_id", "old_pipeline_id", "price")
times = st.integers(1, MAX_TIMESTAMP)  # a Unix time a `datetime` can hold
# An extra key of a status item is one amoCRM may add, never one the parser reads: a known one
# left out by chance must not come back as an unknown key with a value of any type.
KNOWN_STATUS_KEYS = frozenset(
    {"id", "status_id", *STATUS_FIELDS, "last_modified", "name", "updated_at"}
)
status_items = st.fixed_dictionaries(
    {"id": ids, "status_id": ids},
    optional={**{name: ids for name in STATUS_FIELDS}, "last_modified": times, "name": texts},
).flatmap(
    lambda known: st.dictionaries(
        keys.filter(lambda key: key not in KNOWN_STATUS_KEYS), nested, max_size=3
    ).map(lambda unknown: {**known, **unknown})
)
items = st.dictionaries(keys, nested, min_size=1, max_size=5)
payloads = st.fixed_dictionaries(
    {
        "leads": st.fixed_dictionaries(
            {"status": st.lists(status_items, min_size=1, max_size=4)},
            optional={
                "add": st.lists(items, min_size=1, max_size=3),
                "update": st.lists(items, min_size=1, max_size=3),
                "delete": st.lists(st.fixed_dictionaries({"id": ids}), min_size=1, max_size=3),
            },
        ),
        "account": st.fixed_dictionaries({"subdomain": keys, "id": ids}),
    },
    optional={"contacts": st.fixed_dictionaries({"update": st.lists(items, min_size=1)})},
)


def as_strings(value: Any) -> Any:
    """The form carries only strings."""
    if isinstance(value, dict):
        return {key: as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_strings(item) for item in value]
    return str(value)


@settings(max_examples=60, deadline=None)
@given(payloads)
def test_encoded_webhooks_parse_back_to_the_same_structure(payload: dict[str, Any]) -> None:
    assert parse_form(encode_webhook_form(payload)) == as_strings(payload)


@settings(max_examples=60, deadline=None)
@given(payloads)
def test_encoded_status_changes_parse_back_to_the_same_changes(payload: dict[str, Any]) -> None:
    hook = parse_webhook(encode_webhook_form(payload))

    assert hook.account_id == payload["account"]["id"]
    assert hook.subdomain == payload["account"]["subdomain"]
    sent = payload["leads"]["status"]
    assert [
        (
            change.amo_lead_id,
            change.status_id,
            change.pipeline_id,
            change.old_status_id,
            change.old_pipeline_id,
            change.price,
            change.modified_at,
        )
        for change in hook.status_changes
    ] == [
        (
            item["id"],
            item["status_id"],
            item.get("pipeline_id"),
            item.get("old_status_id"),
            item.get("old_pipeline_id"),
            item.get("price"),
            item.get("last_modified"),
        )
        for item in sent
    ]
    assert [dict(change.raw) for change in hook.status_changes] == as_strings(sent)
