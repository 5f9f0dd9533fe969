"""The amoCRM simulator's type checks of write bodies and its directory of users, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from leadbridge.sandbox.amocrm.shapes import problems, request_id
from leadbridge.sandbox.amocrm.users import (
    GROUP_IDS_FROM,
    USER_IDS_FROM,
    UserDirectory,
    UserSeed,
)
from leadbridge.sandbox.amocrm.write_specs import LEAD, NEW_TASK


def paths(value: Any, spec: Any = LEAD) -> list[tuple[str, str]]:
    return [(error["code"], error["path"]) for error in problems(value, spec)]


@pytest.mark.parametrize(
    ("lead", "found"),
    [
        ({"name": "iPhone", "price": 100}, []),
        ({"price": "100"}, [("InvalidType", "price")]),
        ({"price": 99.5}, [("InvalidType", "price")]),
        ({"price": True}, [("InvalidType", "price")]),  # a bool is no int in JSON
        ({"price": None, "name": None}, []),  # null is "not given"
        ({"custom_fields_values": [{"values": [{"enum_id": "1"}]}]},
         [("InvalidType", "custom_fields_values.0.values.0.enum_id")]),
        ({"_embedded": {"contacts": [None]}}, [("InvalidType", "_embedded.contacts.0")]),
        ({"_embedded": {"contacts": {"id": 1}}}, [("InvalidType", "_embedded.contacts")]),
        ({"unknown": object()}, []),  # keys amoCRM does not use are not checked
        ("lead", [("InvalidType", "")]),
    ],
)  # fmt: skip
def test_type_errors_have_amocrms_dotted_paths(lead: Any, found: list[tuple[str, str]]) -> None:
    assert paths(lead) == found


def test_messages_name_the_type_expected() -> None:
    (error,) = problems({"price": "x"}, LEAD)

    assert error == {
        "code": "InvalidType",
        "path": "price",
        "detail": "This value should be of type int.",
    }
    assert problems({"name": 1}, LEAD)[0]["detail"] == "This value should be of type string."


def test_required_fields_must_not_be_blank() -> None:
    assert paths({}, NEW_TASK) == [("NotBlank", "complete_till"), ("NotBlank", "text")]
    assert paths({"text": "", "complete_till": "x"}, NEW_TASK) == [
        ("NotBlank", "text"),
        ("InvalidType", "complete_till"),
    ]


@pytest.mark.parametrize(
    ("raw", "index", "expected"),
    [({"request_id": "a"}, 3, "a"), ({"request_id": 7}, 3, "7"), ({}, 3, "3"), ([], 2, "2")],
)
def test_request_id_is_the_elements_own_or_its_position(
    raw: Any, index: int, expected: str
) -> None:
    assert request_id(raw, index) == expected


def test_users_are_numbered_in_config_order_and_grouped_by_city() -> None:
    seeds = (
        UserSeed("A", "a@x", "Казань"),
        UserSeed("B", "b@x", "Москва", is_active=False),
        UserSeed("C", "c@x", "Казань"),
    )
    directory = UserDirectory(UserSeed("Bot", "bot@x", is_admin=True), seeds)

    assert list(directory.users) == [USER_IDS_FROM + n for n in range(4)]
    assert directory.integration_id == USER_IDS_FROM
    assert directory.groups == {GROUP_IDS_FROM: "Казань", GROUP_IDS_FROM + 1: "Москва"}
    assert [directory.group_id(user) for user in directory.users] == [
        0,
        GROUP_IDS_FROM,
        GROUP_IDS_FROM + 1,
        GROUP_IDS_FROM,
    ]
    assert [directory.assignable(user) for user in directory.users] == [True, True, False, True]
    assert directory.assignable(1) is False
    assert [directory.is_admin(user) for user in directory.users] == [True, False, False, False]
