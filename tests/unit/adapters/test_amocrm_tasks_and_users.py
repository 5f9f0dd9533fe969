"""The first-call task's body, the deal's responsible user, and users and tasks as read."""

from __future__ import annotations

from datetime import UTC, datetime

from leadbridge.amocrm.tasks import first_call, task, task_created
from leadbridge.amocrm.users import User, user

DUE = datetime(2026, 5, 5, 6, 10, tzinfo=UTC)


def test_the_first_call_task_is_a_call_on_the_deal_for_its_user() -> None:
    assert first_call("17", 901, DUE, 5000002) == {
        "text": "Связаться с продавцом",
        "complete_till": int(DUE.timestamp()),
        "entity_type": "leads",
        "entity_id": 901,
        "task_type_id": 1,
        "request_id": "17",
        "responsible_user_id": 5000002,
    }


def test_without_a_user_the_task_is_left_to_amocrm() -> None:
    assert "responsible_user_id" not in first_call("17", 901, DUE, None)


def test_tasks_and_created_rows_are_read_leniently() -> None:
    assert task({"id": "5", "entity_id": 901, "text": "Связаться с продавцом"}) is not None
    assert task({"entity_id": 901}) is None
    assert task_created({"id": 5, "request_id": 17}) is not None
    assert task_created({"id": 5, "request_id": 17}).request_id == "17"  # type: ignore[union-attr]


def test_a_deactivated_user_is_read_as_inactive() -> None:
    assert user({"id": 5, "rights": {"is_active": False}}) == User(5, is_active=False)
    assert user({"id": 6, "rights": {"is_active": True}}) == User(6, is_active=True)
    assert user({"id": 7}) == User(7, is_active=True)
    assert user({"name": "no id"}) is None
