"""The masked sample of a contract drift: shape kept, personal data never shown in full."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.domain.contract_drift import DriftKind, masked_sample, masked_text

PAYLOAD = {
    "id": "a-1001",
    "buyoutPrice": 3_500_000,
    "seller": {"name": "Иван Петров", "phone": "+7 916 123-45-67", "email": "ivan@mail.ru"},
    "rating": 4.5,
    "verified": True,
    "comment": None,
    "kit": ["box", "ок"],
}


def test_the_kinds_are_what_the_table_stores() -> None:
    assert [kind.value for kind in DriftKind] == [
        "unknown_field",
        "unknown_enum_value",
        "unknown_status",
        "unknown_error_code",
        "unknown_answer",
        "endpoint_gone",
        "quarantined",
    ]


def test_a_payload_keeps_its_keys_numbers_and_shape_and_masks_its_strings() -> None:
    assert masked_sample(PAYLOAD) == (
        '{"id": "a•••01", "buyoutPrice": 3500000, '
        '"seller": {"name": "И••••••••••", "phone": "+•••••••••••••67", '
        '"email": "i•••••••••••"}, '
        '"rating": 4.5, "verified": true, "comment": null, "kit": ["b••", "ок"]}'
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Иван Петров", "И••••••••••"),  # the brief's example: first letter and length
        ("+79161234567", "+•••••••••67"),
        ("8 (916) 123-45-67", "8••••••••••••••67"),
        ("ivan.petrov@example.com", "i••••••••••••••••••••••"),
        ("ок", "ок"),  # two characters tell nothing
        ("", ""),
        ("abc", "a••"),
    ],
)
def test_a_string_keeps_its_first_character_and_its_last_two_digits(text: str, shown: str) -> None:
    assert masked_text(text) == shown


def test_a_number_shaped_like_a_phone_is_masked_and_other_numbers_are_kept() -> None:
    sample = masked_sample(
        {"phone": 79161234567, "mobile": 9161234567, "item": 4123456789, "price": Decimal("12.5")}
    )
    assert (
        sample == '{"phone": 7••••••••67, "mobile": 9•••••••67, "item": 4123456789, "price": 12.5}'
    )


def test_a_key_that_is_no_field_name_is_masked_like_a_value() -> None:
    sample = masked_sample({"ivan@mail.ru": 1, "+79161234567": 2, "Иван": 3, "lead.id_2": 4})
    assert sample == '{"i•••••••••••": 1, "+•••••••••67": 2, "И•••": 3, "lead.id_2": 4}'


def test_a_long_sample_is_cut_at_the_limit_with_an_ellipsis() -> None:
    sample = masked_sample(list(range(1000)), limit=20)
    assert len(sample) == 20
    assert sample.endswith("…")
    assert sample.startswith("[0, 1, 2")
    assert masked_sample([1, 2], limit=6) == "[1, 2]"  # exactly the limit: not cut


def test_nesting_and_cycles_end_in_an_ellipsis() -> None:
    looped: list[object] = []
    looped.append(looped)
    sample = masked_sample(looped, limit=10_000)
    assert "…" in sample
    assert sample.count("[") == sample.count("]")


def test_anything_else_shows_as_its_masked_text() -> None:
    class Seller:
        def __str__(self) -> str:
            return "Seller(name='Иван Петров')"

    assert masked_sample(Seller()) == '"S•••••••••••••••••••••••••"'
    assert masked_sample(b"+79161234567") == '"+•••••••••67"'
    assert masked_sample(DriftKind.UNKNOWN_FIELD) == '"u••••••••••••"'


def test_an_object_that_cannot_print_shows_its_type() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert masked_sample({"x": Broken()}) == '{"x": "<•••••••"}'  # "<Broken>"


def test_what_no_database_can_store_is_replaced() -> None:
    sample = masked_sample({"a": "\ud800xyz", "b": "\x00xyz"})
    assert "\ud800" not in sample
    assert "\x00" not in sample
    sample.encode("utf-8")  # storable


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        masked_sample("x", limit=0)


_PHONE_DIGITS = st.from_regex(r"9\d{9}", fullmatch=True)
_SEPARATORS = st.sampled_from(["", " ", "-", "(", ")"])


@st.composite
def _written_phone(draw: st.DrawFn) -> tuple[str, str]:
    """A Russian mobile number as a person might type it, and its ten digits."""
    digits = draw(_PHONE_DIGITS)
    prefix = draw(st.sampled_from(["+7", "8", "7", ""]))
    written = prefix + "".join(draw(_SEPARATORS) + digit for digit in digits)
    return written, digits


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@given(text=st.text(min_size=3))
def test_a_masked_string_shows_at_most_three_characters_and_keeps_its_length(text: str) -> None:
    shown = masked_text(text)
    assert len(shown) == len(text)
    assert sum(char != "•" for char, given in zip(shown, text, strict=True) if char == given) <= 3


@given(phone=_written_phone(), around=_JSON)
def test_no_phone_shows_in_full_wherever_it_is(phone: tuple[str, str], around: object) -> None:
    written, digits = phone
    sample = masked_sample(
        {"seller": {"phone": written}, "digits": int(digits), "other": around}, limit=10_000
    )
    # Masked, a phone leaves runs of at most three digits; only a number of `around` kept as it
    # was could hold the first eight.
    runs = re.findall(r"\d+", sample)
    assert not any(digits[:-2] in run for run in runs) or digits[:-2] in repr(around)
