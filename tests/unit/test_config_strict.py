"""Every settings table refuses a key it does not know, and a partner's base URL must be one."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, ValidationError

from leadbridge.config import AmoCrmSettings, AvitoSettings, Settings


def tables(model: type[BaseModel]) -> set[type[BaseModel]]:
    """Every settings model reachable from `model`'s fields: itself, in a list, or optional."""
    found: set[type[BaseModel]] = set()

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.add(annotation)
                for info in annotation.model_fields.values():
                    visit(info.annotation)
            return
        for inner in typing.get_args(annotation):
            visit(inner)

    visit(model)
    return found


def test_every_table_forbids_unknown_keys() -> None:
    """A table added later must forbid them too: a misspelt key there would be ignored."""
    found = tables(Settings)
    assert {AmoCrmSettings, AvitoSettings} < found
    lenient = sorted(
        table.__name__ for table in found if table.model_config.get("extra") != "forbid"
    )
    assert lenient == []


@pytest.mark.parametrize(
    "url", ["https://x.amocrm.ru", "http://127.0.0.1:8702", "HTTPS://a.ru", ""]
)
def test_a_base_url_with_its_scheme_or_unset_is_taken(url: str) -> None:
    assert AmoCrmSettings(base_url=url).base_url == url
    assert AvitoSettings(base_url=url or "https://api.avito.ru").base_url


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("example.amocrm.ru", "'example.amocrm.ru' lacks https:// or http://"),
        ("ftp://example.amocrm.ru", "e.g. 'https://example.amocrm.ru'"),
        ("https://", "'https://' names no host"),
    ],
)
def test_a_base_url_without_scheme_or_host_is_refused(url: str, said: str) -> None:
    for model in (AmoCrmSettings, AvitoSettings):
        with pytest.raises(ValidationError, match=said):
            model(base_url=url)
