"""The declarative mapping of Avito's lead payload (avito/mapping.py, avito_mapping.toml): a copy
that does not fit is refused in one line naming the key; paths, alternatives and transforms read
the payload as the copy says — an operator follows Avito's change without a release."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadbridge.avito import mapping_in_force as mappings
from leadbridge.avito.mapping import FIELDS, TRANSFORMS, LeadMapping, load_mapping, parse_mapping
from leadbridge.avito.payload import PayloadError, explain, parse_lead
from leadbridge.avito.readers import READERS
from leadbridge.config import DEFAULT_AVITO_MAPPING, AvitoSettings, ConfigurationError
from leadbridge.sandbox.avito import LeadFactory

DEFAULT_TEXT = DEFAULT_AVITO_MAPPING.read_text(encoding="utf-8")
Edit = Callable[[dict[str, Any]], None]


def _default_raw() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_TEXT)


def _mapping(edit: Edit) -> LeadMapping:
    raw = _default_raw()
    edit(raw)
    return LeadMapping(fields=parse_mapping(raw))


def _lead(**overrides: Any) -> dict[str, Any]:
    return {**LeadFactory(seed=3).make(), **overrides}


def _set(field: str, **options: Any) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        raw["lead"][field].update(options)

    return edit


def _drop(field: str, option: str | None = None) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        if option is None:
            del raw["lead"][field]
        else:
            del raw["lead"][field][option]

    return edit


def test_the_default_file_maps_every_field_of_ours_and_every_transform_has_a_reader() -> None:
    default = load_mapping(DEFAULT_AVITO_MAPPING)
    assert [mapped.name for mapped in default.fields] == list(FIELDS)
    assert READERS.keys() == TRANSFORMS.keys()
    assert AvitoSettings().mapping_file == DEFAULT_AVITO_MAPPING


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _set("buyout_price", transform="rub"),
            "avito mapping: lead.buyout_price.transform: unknown transform 'rub' "
            "(known for this field: int, rubles_to_kopecks)",
        ),
        (
            _set("created_at", transform="int"),
            "avito mapping: lead.created_at.transform: 'int' gives an int, not a datetime "
            "(datetime)",
        ),
        (_drop("city", "transform"), "avito mapping: lead.city.transform: missing"),
        (_drop("city", "path"), "avito mapping: lead.city.path: missing"),
        (
            _set("city", path=[]),
            "avito mapping: lead.city.path: an empty list: name at least one path",
        ),
        (
            _set("city", path=["location.city", "location..town"]),
            "avito mapping: lead.city.path[1]: 'location..town' is not a dotted path like "
            '"device.model"',
        ),
        (
            _set("city", path=42),
            'avito mapping: lead.city.path: must be a dotted path like "device.model", or a list '
            "of them",
        ),
        (
            _set("buyout_price", path=["buyoutPrice", {"path": "offer.price", "unit": "rub"}]),
            "avito mapping: lead.buyout_price.path[1].unit: unknown key (known: path, transform)",
        ),
        (
            _set("buyout_price", path=["buyoutPrice", {"path": "offer.price", "transform": "x"}]),
            "avito mapping: lead.buyout_price.path[1].transform: unknown transform 'x' "
            "(known for this field: int, rubles_to_kopecks)",
        ),
        (
            _set("buyout_price", type="str"),
            "avito mapping: lead.buyout_price.type: 'str', but leadbridge's buyout_price is 'int'",
        ),
        (
            _set("city", unit="km"),
            "avito mapping: lead.city.unit: unknown key (known: aliases, default, path, required, "
            "transform, type)",
        ),
        (_set("city", required="yes"), "avito mapping: lead.city.required: must be true or false"),
        (
            _set("buyout_price", required=False),
            "avito mapping: lead.buyout_price.required: must be true: leadbridge cannot make a "
            "lead without it",
        ),
        (
            _drop("device_model"),
            "avito mapping: lead.device_model: missing: leadbridge cannot make a lead without it",
        ),
        (
            _drop("seller_name"),
            "avito mapping: lead.seller_name: missing: it cannot stay empty (map it, or a default)",
        ),
        (
            _drop("offer_type", "default"),
            "avito mapping: lead.offer_type.default: missing: this field cannot stay empty",
        ),
        (_set("city", default=7), "avito mapping: lead.city.default: 7: must be a str"),
        (
            _set("created_at", default="now"),
            "avito mapping: lead.created_at.default: 'now': must be none for a datetime field",
        ),
        (
            _set("id", default="b-0"),
            "avito mapping: lead.id.default: a required field takes no default",
        ),
        (
            _set("item_id", aliases={"a": "b"}),
            "avito mapping: lead.item_id.aliases: only for text fields, and this one is int",
        ),
        (
            _set("offer_type", aliases={"exchange": 1}),
            "avito mapping: lead.offer_type.aliases.exchange: 1: must be a text",
        ),
    ],
)
def test_each_bad_key_is_refused_in_one_line_naming_it(edit: Edit, message: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        _mapping(edit)
    assert str(refused.value) == message


def test_unknown_fields_and_tables_are_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match=r"^avito mapping: lead\.price: unknown field"):
        _mapping(lambda raw: raw["lead"].update(price={"path": "p", "transform": "int"}))
    with pytest.raises(ConfigurationError, match=r"^avito mapping: status: unknown key"):
        _mapping(lambda raw: raw.update(status={}))
    with pytest.raises(ConfigurationError, match=r"^avito mapping: lead.city: must be a table"):
        _mapping(lambda raw: raw["lead"].update(city="location.city"))


def test_a_file_that_cannot_be_read_or_is_no_toml_is_refused_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "mapping.toml"
    broken.write_text("[lead.id\npath = 'id'\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as refused:
        load_mapping(broken)
    assert str(refused.value).startswith(f"avito mapping: {broken}: not valid TOML: ")
    assert "\n" not in str(refused.value)
    with pytest.raises(ConfigurationError, match=r"^avito mapping: .*absent\.toml: cannot read"):
        load_mapping(tmp_path / "absent.toml")


def test_an_optional_field_may_be_left_out_and_its_payload_field_is_then_kept_as_unknown() -> None:
    request = parse_lead(_lead(), _mapping(_drop("device_ram")))
    assert request.device.ram is None
    assert "ram" in request.unknown_fields["device"]


def test_alternatives_are_tried_in_order_the_first_with_a_value_wins() -> None:
    mapping = _mapping(_set("city", path=["location.city", "city", "address.town"]))
    assert parse_lead(_lead(location={"city": "Тула"}, city="Омск"), mapping).city == "Тула"
    assert parse_lead(_lead(location={"city": ""}, city="Омск"), mapping).city == "Омск"
    assert parse_lead(_lead(location=None, address={"town": "Орёл"}), mapping).city == "Орёл"
    assert parse_lead(_lead(location={}), mapping).city is None
    readings, _ = explain(_lead(location=None, city="Омск"), mapping)
    assert [(r.path, r.value) for r in readings if r.name == "city"] == [("city", "Омск")]


def test_a_non_object_on_the_way_is_refused_unless_another_alternative_has_the_value() -> None:
    mapping = _mapping(_set("city", path=["location.city", "city"]))
    assert parse_lead(_lead(location="Тула", city="Омск"), mapping).city == "Омск"
    with pytest.raises(PayloadError, match=r"^lead payload field 'location' must be an object$"):
        parse_lead(_lead(location="Тула"), mapping)


def test_a_copy_with_the_price_moved_to_offer_price_in_rubles_parses_such_a_payload(
    tmp_path: Path,
) -> None:
    """Avito's breaking change, answered by configuration: price under offer.price, in rubles."""
    changed = _lead(offer={"price": "41000.50", "currency": "RUB"})
    del changed["buyoutPrice"]
    with pytest.raises(PayloadError, match=r"^lead payload has no buyout price$"):
        parse_lead(changed)  # the default mapping: today's contract

    copy_file = tmp_path / "avito_mapping.toml"
    copy_file.write_text(
        DEFAULT_TEXT.replace(
            'path = "buyoutPrice"\ntype = "int"\ntransform = "int"  # kopecks',
            'path = "offer.price"\ntype = "int"\ntransform = "rubles_to_kopecks"',
        ),
        encoding="utf-8",
    )
    request = parse_lead(changed, load_mapping(copy_file))
    assert request.buyout_price_kopecks == 4_100_050
    assert request.unknown_fields["offer"] == {"currency": "RUB"}


def test_an_alternative_may_carry_its_own_transform_while_both_shapes_arrive() -> None:
    both = [
        "buyoutPrice",
        {"path": "offer.price", "transform": "rubles_to_kopecks"},
    ]
    mapping = _mapping(_set("buyout_price", path=both))
    old = _lead(buyoutPrice=4_100_000)
    new = {
        key: value for key, value in _lead(offer={"price": 41_000}).items() if key != "buyoutPrice"
    }
    assert parse_lead(old, mapping).buyout_price_kopecks == 4_100_000
    assert parse_lead(new, mapping).buyout_price_kopecks == 4_100_000


@pytest.mark.parametrize(
    ("found", "kopecks"),
    [(41_000, 4_100_000), (41_000.5, 4_100_050), ("41000.505", 4_100_051), ("0", 0)],
)
def test_rubles_become_whole_kopecks(found: Any, kopecks: int) -> None:
    mapping = _mapping(_set("buyout_price", transform="rubles_to_kopecks"))
    assert parse_lead(_lead(buyoutPrice=found), mapping).buyout_price_kopecks == kopecks


@pytest.mark.parametrize("found", [10_000_001, "много", True, float("inf"), "1e999999", -1])
def test_rubles_out_of_range_or_unreadable_are_refused_naming_path_and_value(found: Any) -> None:
    mapping = _mapping(_set("buyout_price", transform="rubles_to_kopecks"))
    with pytest.raises(PayloadError) as refused:
        parse_lead(_lead(buyoutPrice=found), mapping)
    message = str(refused.value)
    assert message.startswith("lead payload field 'buyoutPrice' is ")
    assert "rubles" in message
    assert len(message) < 200


def test_other_transforms_read_as_named() -> None:
    mapping = _mapping(
        lambda raw: (
            raw["lead"]["item_id"].update(path="item.id", transform="int"),
            raw["lead"]["id"].update(path="leadId"),
            raw["lead"]["created_at"].update(path="meta.created"),
            raw["lead"]["seller_phone"].update(path="contact"),
            raw["lead"]["device_kit"].update(path="kit"),
        )
    )
    lead = _lead(leadId=17, item={"id": "42"}, meta={"created": "2026-05-04T12:00:00+03:00"})
    lead |= {"contact": "8 916 123-45-67", "kit": ["Коробка", "", "Провод"]}
    request = parse_lead(lead, mapping)
    assert request.avito_lead_id == "17"
    assert request.item_id == 42
    assert request.created_at == datetime(2026, 5, 4, 9, tzinfo=UTC)
    assert request.seller.phone == "+79161234567"
    assert request.device.kit == ("Коробка", "Провод")


def test_aliases_map_avitos_spelling_to_ours_and_pass_unknown_values_through() -> None:
    aliases = {"exchange": "trade_in", "sale": "buyout"}
    mapping = _mapping(_set("offer_type", aliases=aliases))
    assert parse_lead(_lead(offerType="exchange"), mapping).offer_type == "trade_in"
    assert parse_lead(_lead(offerType="sale"), mapping).offer_type == "buyout"
    assert parse_lead(_lead(offerType="exchange_plus"), mapping).offer_type == "exchange_plus"
    assert parse_lead(
        {k: v for k, v in _lead().items() if k != "offerType"}, mapping
    ).offer_type == ("buyout")


def test_a_field_made_required_by_the_copy_refuses_a_payload_without_it() -> None:
    mapping = _mapping(_set("seller_phone", required=True))
    with pytest.raises(PayloadError, match=r"^lead payload has no seller phone$"):
        parse_lead(_lead(seller={"name": "Иван", "phone": "not a phone"}), mapping)


@pytest.fixture
def restore_active() -> Iterator[None]:
    saved = copy.copy(mappings._installed)
    yield
    mappings._installed[:] = saved


@pytest.mark.usefixtures("restore_active")
def test_the_configured_mapping_is_installed_for_the_process(tmp_path: Path) -> None:
    copy_file = tmp_path / "mapping.toml"
    copy_file.write_text(DEFAULT_TEXT.replace('path = "location.city"', 'path = "town"'))
    assert mappings.install_mapping(AvitoSettings()) is mappings.default_mapping()
    mappings.install_mapping(AvitoSettings(mapping_file=copy_file))
    assert parse_lead(_lead(town="Тула")).city == "Тула"

    copy_file.write_text(DEFAULT_TEXT.replace('transform = "phone"', 'transform = "tel"'))
    with pytest.raises(ConfigurationError, match=r"lead\.seller_phone\.transform: unknown"):
        mappings.install_mapping(AvitoSettings(mapping_file=copy_file))
    assert parse_lead(_lead(town="Тула")).city == "Тула"  # a refused copy changes nothing
