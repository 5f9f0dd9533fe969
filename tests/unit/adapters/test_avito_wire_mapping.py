"""The wire tables of the Avito mapping: endpoints, status names, status items, envelopes."""

import tomllib
from pathlib import Path

import pytest

from leadbridge.avito.envelope import EventKind, read_feed_item, read_webhook
from leadbridge.avito.mapping import load_mapping
from leadbridge.avito.mapping_in_force import default_mapping
from leadbridge.avito.payload import PayloadError
from leadbridge.avito.wire_mapping import Endpoints, StatusNames, WireMapping, parse_wire
from leadbridge.config import DEFAULT_AVITO_MAPPING, ConfigurationError


def test_the_default_file_spells_out_exactly_the_built_in_contract() -> None:
    with DEFAULT_AVITO_MAPPING.open("rb") as handle:
        raw = tomllib.load(handle)
    assert parse_wire(raw) == WireMapping()
    assert parse_wire({}) == WireMapping()  # a copy made before the tables existed


def test_a_status_renamed_by_avito_is_translated_both_ways_and_others_pass() -> None:
    names = StatusNames({"device_received": "device_accepted"})
    assert names.avito("device_received") == "device_accepted"
    assert names.ours("device_accepted") == "device_received"
    assert names.avito("accepted") == names.ours("accepted") == "accepted"
    assert names.ours("inspection_scheduled") == "inspection_scheduled"  # Avito's own, unknown


def test_endpoints_and_paths_are_read_from_their_tables() -> None:
    wire = parse_wire(
        {
            "endpoints": {"status_apply": "/partner/buyout/v2/leads/statuses/apply"},
            "webhook": {"lead_path": "data.request"},
            "status_items": {"reason_codes": {"rejected": "a", "cancelled": "a"}},
        }
    )
    assert wire.endpoints.status_apply == "/partner/buyout/v2/leads/statuses/apply"
    assert wire.endpoints.leads == Endpoints().leads
    assert wire.webhook.lead_path == ("data", "request")
    assert wire.status_items.reason_codes == {"rejected": "a", "cancelled": "a"}


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ({"endpoints": {"apply": "/x"}}, "endpoints.apply: unknown key"),
        ({"endpoints": {"leads": "leads/get"}}, "endpoints.leads: 'leads/get': a path starts"),
        ({"endpoints": {"status_read": "/status"}}, "endpoints.status_read: '/status': must hold"),
        ({"statuses": {"a": "x", "b": "x"}}, "statuses.b: 'x' is already Avito's name for a"),
        ({"statuses": {"a": 1}}, "statuses.a: must be a non-empty text"),
        ({"status_items": {"codes": {}}}, "status_items.codes: unknown key"),
        ({"webhook": "payload"}, "webhook: must be a table"),
        ({"feed": {"rows": ""}}, "feed.rows: must be a non-empty text"),
    ],
)
def test_a_bad_wire_table_is_refused_in_one_line_naming_its_key(
    raw: dict[str, object], names: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        parse_wire(raw)
    message = str(refused.value)
    assert message.startswith(f"avito mapping: {names}")
    assert "\n" not in message


def test_an_unknown_top_level_table_names_the_known_ones(tmp_path: Path) -> None:
    copy = tmp_path / "mapping.toml"
    copy.write_text(DEFAULT_AVITO_MAPPING.read_text() + "\n[replies]\nresult = 'x'\n")
    with pytest.raises(ConfigurationError, match=r"^avito mapping: replies: unknown key .*answers"):
        load_mapping(copy)


def test_a_webhook_is_read_where_the_mapping_says() -> None:
    lead = {"id": "b-1"}
    assert read_webhook(b"{}").kind is EventKind.PING
    assert read_webhook(b'{"payload": {"type": "lead.archived"}}').kind is EventKind.IGNORED
    event = read_webhook(b'{"payload": {"type": "lead.created", "lead": {"id": "b-1"}}}')
    assert (event.kind, event.lead) == (EventKind.LEAD, lead)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"[1]", "body is not a JSON object but a list"),
        (b'{"payload": {}}', "envelope has no payload.type: missing"),
        (b'{"payload": {"type": 7}}', "envelope has no payload.type: found a number"),
        (b'{"payload": {"type": "lead.created"}}', "lead.created without payload.lead: missing"),
        (b'{"payload": {"type": "lead.created", "lead": []}}', "found a list"),
        (b"[" * 100 + b"]" * 100, "nested deeper"),
    ],
)
def test_an_envelope_that_does_not_fit_says_what_was_found(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        read_webhook(body)


def test_a_feed_item_is_its_row_lead_or_the_lead_itself() -> None:
    lead = {"id": "b-1", "device": {}}
    assert read_feed_item({"id": 3, "lead": lead}, default_mapping()) == lead
    assert read_feed_item(lead, default_mapping()) == lead
    with pytest.raises(PayloadError):
        read_feed_item("x", default_mapping())


def test_an_endpoint_path_left_in_the_settings_is_refused_pointing_at_the_mapping() -> None:
    from pydantic import ValidationError

    from leadbridge.config import AvitoSettings

    with pytest.raises(ValidationError, match=r"avito.status_apply_path moved to the mapping file"):
        AvitoSettings.model_validate({"status_apply_path": "/v2/apply"})
