"""The `[answers]` table of the Avito mapping, and the field names of what the client sends
(`[status_items]`, `[feed]`, `[webhook]`): today's contract by default, a renamed field followed
by one line, a bad key refused at start in one line naming it."""

import tomllib
from dataclasses import asdict
from pathlib import Path

import pytest

from leadbridge.avito.answer_shapes import AnswerShape
from leadbridge.avito.mapping import load_mapping
from leadbridge.avito.wire_mapping import StatusItems, parse_wire
from leadbridge.config import DEFAULT_AVITO_MAPPING, ConfigurationError

AFTER_BREAK = Path(__file__).parents[3] / "src/leadbridge/sandbox/avito_mapping_after_break.toml"


def test_left_out_the_answers_are_read_as_today_s_contract_says() -> None:
    wire = parse_wire({})
    assert asdict(wire.answers) == {
        "rows": "result",
        "row_key": "idempotencyKey",
        "row_result": "result",
        "row_status": "currentStatus",
        "row_message": "message",
        "row_error_code": "errorCode",
        "withdrawn_code": "lead_withdrawn",
        "status_path": ("status",),
        "error_code_path": ("error", "code"),
    }
    assert asdict(wire.status_items) == {
        "items_field": "items",
        "lead_id_field": "leadId",
        "status_field": "status",
        "occurred_at_field": "occurredAt",
        "idempotency_key_field": "idempotencyKey",
        "price_field": "price",
        "reason_field": "reason",
        "reason_code_field": "reasonCode",
        "reason_codes": {},
    }
    assert (wire.feed.request_cursor, wire.feed.request_limit) == ("lastId", "limit")
    assert (wire.webhook.subscription_url, wire.webhook.subscription_secret) == ("url", "secret")


@pytest.mark.parametrize("path", [DEFAULT_AVITO_MAPPING, AFTER_BREAK])
def test_both_shipped_mappings_write_today_s_answers_out(path: Path) -> None:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    assert raw["answers"]  # spelled out, so that a person sees what there is to change
    wire = parse_wire(raw)
    assert wire.answers == AnswerShape()
    assert wire.feed == parse_wire({}).feed
    assert wire.webhook == parse_wire({}).webhook


def test_a_field_avito_renamed_in_its_answers_is_one_line() -> None:
    wire = parse_wire(
        {
            "answers": {"row_status": "statusNow", "status_path": "data.state"},
            "status_items": {"lead_id_field": "requestId"},
            "feed": {"request_cursor": "after"},
        }
    )
    assert wire.answers.row_status == "statusNow"
    assert wire.answers.status_path == ("data", "state")
    assert wire.answers.row_result == "result"  # the keys left out keep the contract
    assert wire.status_items.lead_id_field == "requestId"
    assert wire.status_items.reason_code_field == StatusItems().reason_code_field
    assert wire.feed.request_cursor == "after"


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ({"answers": {"current_status": "x"}}, "answers.current_status: unknown key (known: "),
        ({"answers": {"rows": 1}}, "answers.rows: must be a non-empty text"),
        ({"answers": {"row_status": " "}}, "answers.row_status: must be a non-empty text"),
        ({"answers": {"error_code_path": "error..code"}}, "answers.error_code_path: 'error..code'"),
        ({"answers": {"row_message": "result"}}, "answers.row_message: 'result' is already the"),
        ({"answers": ["rows"]}, "answers: must be a table"),
        ({"status_items": {"price_field": "reason"}}, "status_items.reason_field: 'reason' is"),
        ({"status_items": {"lead_field": "id"}}, "status_items.lead_field: unknown key"),
        ({"feed": {"request_limit": ""}}, "feed.request_limit: must be a non-empty text"),
    ],
)
def test_a_bad_key_is_refused_in_one_line_naming_it(raw: dict[str, object], names: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        parse_wire(raw)
    message = str(refused.value)
    assert message.startswith(f"avito mapping: {names}")
    assert "\n" not in message


def test_a_copy_with_a_bad_answers_key_stops_the_start(tmp_path: Path) -> None:
    copy = tmp_path / "mapping.toml"
    default = DEFAULT_AVITO_MAPPING.read_text()
    copy.write_text(default.replace('row_status = "currentStatus"', "row_status = 7"))
    with pytest.raises(ConfigurationError, match=r"^avito mapping: answers.row_status: must be"):
        load_mapping(copy)
