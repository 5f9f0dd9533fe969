"""Where each field of our lead lives in Avito's lead payload: the declarative mapping.

The default is `src/leadbridge/avito_mapping.toml` (today's contract); `avito.mapping_file` names
a copy, so that an operator follows a change of Avito's payload without a release. The file
format is described at the top of the default file and in docs/avito-partner-api.md.

Our side is fixed here (`FIELDS`: each field's type, and whether a lead can be made without it);
Avito's side — paths, alternatives, transforms, defaults, enum aliases — is the file's. A file
that does not fit is refused at load with a `ConfigurationError` of one line naming the key:
`avito mapping: lead.buyout_price.transform: unknown transform 'rub' (known: …)`.

`load_mapping` reads and checks a file; `avito/mapping_in_force.py` keeps the one this process
reads Avito with.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadbridge.avito.wire_mapping import WIRE_TABLES, WireMapping, parse_wire
from leadbridge.config import ConfigurationError

# What a transform gives, by name; the readers themselves are in avito/payload.py.
TRANSFORMS: dict[str, str] = {
    "str": "str",
    "id": "str",
    "phone": "str",
    "int": "int",
    "rubles_to_kopecks": "int",
    "datetime": "datetime",
    "list": "list",
    "groups": "groups",
}
OPTIONS = frozenset({"path", "type", "transform", "required", "default", "aliases"})
TEXT_KEYS = ("path", "transform")  # the keys of an alternative given as an inline table


@dataclass(frozen=True, slots=True)
class OurField:
    """A field of leadbridge's lead, as our code needs it whatever Avito sends."""

    type: str
    essential: bool = False  # no lead without it: always required
    nullable: bool = True  # may stay empty; if not, the mapping needs a default or `required`


# In the order they are read: the essentials first, so that a payload missing one is named by it.
FIELDS: dict[str, OurField] = {
    "id": OurField("str", essential=True),
    "device_model": OurField("str", essential=True),
    "buyout_price": OurField("int", essential=True),
    "offer_type": OurField("str", nullable=False),
    "created_at": OurField("datetime"),
    "item_id": OurField("int"),
    "item_url": OurField("str"),
    "city": OurField("str"),
    "seller_name": OurField("str", nullable=False),
    "seller_phone": OurField("str"),
    "seller_user_id": OurField("int"),
    "seller_price": OurField("int"),
    "device_category": OurField("str", nullable=False),
    "device_vendor": OurField("str", nullable=False),
    "device_memory": OurField("str"),
    "device_color": OurField("str"),
    "device_ram": OurField("str"),
    "device_battery_health": OurField("int"),
    "device_imei": OurField("str"),
    "device_kit": OurField("list"),
    "device_condition": OurField("str"),
    "device_history": OurField("str"),
    "device_screen_condition": OurField("str"),
    "device_case_condition": OurField("str"),
    "device_defects": OurField("groups"),
}


@dataclass(frozen=True, slots=True)
class Source:
    """One place a field may be found, and how its value is read there."""

    path: tuple[str, ...]
    transform: str

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True)
class FieldMapping:
    name: str
    type: str
    sources: tuple[Source, ...]  # tried in order
    required: bool = False
    default: str | int | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    # An enum's values as Avito spells them and as we do: a value outside is unknown.
    known_values: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        known = frozenset((*self.aliases, *self.aliases.values()))
        object.__setattr__(self, "known_values", known)


@dataclass(frozen=True, slots=True)
class LeadMapping:
    fields: tuple[FieldMapping, ...]  # in the order of FIELDS
    file: Path | None = None
    wire: WireMapping = field(default_factory=WireMapping)  # endpoints, status names, shapes

    def get(self, name: str) -> FieldMapping | None:
        return next((mapped for mapped in self.fields if mapped.name == name), None)

    # The paths the mapping reads, as a tree: a dict per object, None where a whole value is
    # taken. What the payload holds outside it is kept as unknown fields. Built once: every
    # lead read needs it.
    known: dict[str, Any] = field(init=False, repr=False, compare=False)
    # The enum fields: those with aliases, which list the values Avito sends.
    enums: tuple[FieldMapping, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "known", _known_tree(self.fields))
        object.__setattr__(self, "enums", tuple(mapped for mapped in self.fields if mapped.aliases))


def _known_tree(fields: tuple[FieldMapping, ...]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for mapped in fields:
        for source in mapped.sources:
            node = tree
            *parents, leaf = source.path
            for part in parents:
                child = node.setdefault(part, {})
                if child is None:  # a whole value taken already covers what lies below
                    break
                node = child
            else:
                node[leaf] = None
    return tree


def load_mapping(path: Path) -> LeadMapping:
    """The mapping in `path`, checked; a ConfigurationError of one line if it does not fit."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except OSError as error:
        raise _error(str(path), f"cannot read it: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise _error(str(path), f"not valid TOML: {error}") from error
    return LeadMapping(fields=parse_mapping(raw), file=path, wire=parse_wire(raw))


def parse_mapping(raw: Mapping[str, Any]) -> tuple[FieldMapping, ...]:
    for key in raw:
        if key != "lead" and key not in WIRE_TABLES:
            known = ", ".join(("lead", *WIRE_TABLES))
            raise _error(key, f"unknown key (the tables are {known})")
    lead = raw.get("lead")
    if not isinstance(lead, Mapping):
        raise _error("lead", "missing: one [lead.<field>] table per field")
    for name in lead:
        if name not in FIELDS:
            raise _error(f"lead.{name}", f"unknown field (leadbridge's: {', '.join(FIELDS)})")
    mapped = []
    for name, ours in FIELDS.items():
        if name not in lead:
            if ours.essential:
                raise _error(f"lead.{name}", "missing: leadbridge cannot make a lead without it")
            if not ours.nullable:
                raise _error(f"lead.{name}", "missing: it cannot stay empty (map it, or a default)")
            continue
        mapped.append(_field(name, ours, lead[name]))
    return tuple(mapped)


def _field(name: str, ours: OurField, table: Any) -> FieldMapping:
    key = f"lead.{name}"
    if not isinstance(table, Mapping):
        raise _error(key, "must be a table with path and transform")
    for option in table:
        if option not in OPTIONS:
            raise _error(f"{key}.{option}", f"unknown key (known: {', '.join(sorted(OPTIONS))})")
    if "type" in table and table["type"] != ours.type:
        raise _error(f"{key}.type", f"{table['type']!r}, but leadbridge's {name} is {ours.type!r}")
    if "transform" not in table:
        raise _error(f"{key}.transform", "missing")
    transform = _transform(f"{key}.transform", table["transform"], ours)
    required = table.get("required", False)
    if not isinstance(required, bool):
        raise _error(f"{key}.required", "must be true or false")
    if ours.essential and not required:
        raise _error(f"{key}.required", "must be true: leadbridge cannot make a lead without it")
    default = _default(key, table, ours, required)
    return FieldMapping(
        name=name,
        type=ours.type,
        sources=_sources(key, table.get("path"), transform, ours),
        required=required,
        default=default,
        aliases=_aliases(key, table.get("aliases"), ours),
    )


def _transform(key: str, value: Any, ours: OurField) -> str:
    if not isinstance(value, str) or value not in TRANSFORMS:
        known = ", ".join(name for name, gives in TRANSFORMS.items() if gives == ours.type)
        shown = repr(value) if isinstance(value, str) else f"of type {type(value).__name__}"
        raise _error(key, f"unknown transform {shown} (known for this field: {known})")
    if TRANSFORMS[value] != ours.type:
        known = ", ".join(name for name, gives in TRANSFORMS.items() if gives == ours.type)
        gives = TRANSFORMS[value]
        raise _error(key, f"{value!r} gives {_a(gives)}, not {_a(ours.type)} ({known})")
    return value


def _sources(key: str, value: Any, transform: str, ours: OurField) -> tuple[Source, ...]:
    if value is None:
        raise _error(f"{key}.path", "missing")
    alternatives = value if isinstance(value, list) else [value]
    if not alternatives:
        raise _error(f"{key}.path", "an empty list: name at least one path")
    many = isinstance(value, list)
    return tuple(
        _source(f"{key}.path[{index}]" if many else f"{key}.path", item, transform, ours)
        for index, item in enumerate(alternatives)
    )


def _source(key: str, item: Any, transform: str, ours: OurField) -> Source:
    if isinstance(item, Mapping):
        for option in item:
            if option not in TEXT_KEYS:
                raise _error(f"{key}.{option}", "unknown key (known: path, transform)")
        if "transform" in item:
            transform = _transform(f"{key}.transform", item["transform"], ours)
        item = item.get("path")
        key = f"{key}.path"
    if not isinstance(item, str):
        raise _error(key, 'must be a dotted path like "device.model", or a list of them')
    parts = tuple(item.split("."))
    if not all(part.strip() for part in parts):
        raise _error(key, f'{item!r} is not a dotted path like "device.model"')
    return Source(parts, transform)


def _default(
    key: str, table: Mapping[str, Any], ours: OurField, required: bool
) -> str | int | None:
    if "default" not in table:
        if not ours.nullable and not required:
            raise _error(f"{key}.default", "missing: this field cannot stay empty")
        return None
    value = table["default"]
    if required:
        raise _error(f"{key}.default", "a required field takes no default")
    if ours.type == "str" and isinstance(value, str):
        return value
    if ours.type == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    expected = _a(ours.type) if ours.type in ("str", "int") else f"none for {_a(ours.type)} field"
    raise _error(f"{key}.default", f"{value!r}: must be {expected}")


def _aliases(key: str, value: Any, ours: OurField) -> dict[str, str]:
    if value is None:
        return {}
    if ours.type != "str":
        raise _error(f"{key}.aliases", f"only for text fields, and this one is {ours.type}")
    if not isinstance(value, Mapping):
        raise _error(f"{key}.aliases", "must be a table of Avito's value = ours")
    for avito, ours_value in value.items():
        if not isinstance(ours_value, str):
            raise _error(f"{key}.aliases.{avito}", f"{ours_value!r}: must be a text")
    return dict(value)


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _error(key: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"avito mapping: {key}: {problem}")
